// Security of a real `reco serve`: every state-changing admin route under every credential
// configuration (never open while a credential is configured; loopback only when none is), a
// canary/shadow reload without a run id (the newest version that is not production), and a
// client value with CR/LF that stays on one log line.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <sstream>

#include "registry/model_registry.h"
#include "core/time.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

// A data dir with the two versions its two `reco train` runs registered: `older` and `newer`,
// newer in production.
struct Versions {
  std::string older, newer;
};

Versions PrepareVersions(const fs::path& data) {
  EXPECT_EQ(PrepareDemoData(data, {.users = 60, .items = 80, .seed = 12}), "");
  const fs::path log = data.parent_path() / "train2.log";
  EXPECT_TRUE(RunReco({"train", "--data-dir", data.string()}, log).Ok()) << ReadFile(log);
  FakeClock clock(kT0);
  registry::ModelRegistry registry(data, clock);
  Result<registry::RegistryContents> contents = registry.Load();
  EXPECT_TRUE(contents.ok()) << contents.status().ToString();
  if (!contents.ok() || contents->versions.size() != 2) {
    ADD_FAILURE() << "expected the two registered versions of two trainings";
    return {};
  }
  Versions v{contents->versions[0].run_id, contents->versions[1].run_id};
  EXPECT_TRUE(registry.Promote(v.newer, "production").ok());
  return v;
}

std::string VariantRunId(HttpClient& c, std::string_view variant) {
  Json health(c.Get("/health").body);
  return StringField(health[variant], "run_id");
}

// Manual job runs and pipeline runs the server has recorded.
int ManualJobRuns(HttpClient& c, const Headers& read_headers) {
  HttpResult r = c.Get("/api/v1/jobs/runs", read_headers);
  EXPECT_EQ(r.status, 200) << r.body;
  int manual = 0;
  for (size_t at = 0; (at = r.body.find("\"trigger\":\"manual\"", at)) != std::string::npos; ++at) {
    ++manual;
  }
  return manual;
}

int64_t PipelineRuns(HttpClient& c, const Headers& read_headers) {
  HttpResult r = c.Get("/api/v1/pipeline/runs", read_headers);
  EXPECT_EQ(r.status, 200) << r.body;
  simdjson::dom::array runs;
  Json doc(r.body);
  if (doc["runs"].get_array().get(runs) != simdjson::SUCCESS) return -1;
  return static_cast<int64_t>(runs.size());
}

struct Credential {
  std::string name;
  Headers headers;
};

struct AdminRoute {
  std::string name;
  bool reload;  // POST /models/reload (its own credential order)
  std::string target, body;
  // A call that passes the credential check and then fails validation, changing nothing.
  std::string harmless_target, harmless_body;
  int harmless_status;
};

struct CredentialConfig {
  std::string name;
  Env env;
  std::set<std::string> reload_ok, operate_ok;  // credentials let through
  std::string reload_with;                      // the credential an operator would use
  Headers read_headers;                         // for the GET routes that need the API key
};

std::vector<AdminRoute> AdminRoutes(const Versions& v) {
  const std::string bad_mode = "{\"mode\":\"blue\"}";
  return {
      {"reload an older version as primary", true, "/models/reload",
       "{\"run_id\":\"" + v.older + "\",\"mode\":\"primary\"}", "/models/reload", bad_mode, 400},
      {"reload a 100% canary", true, "/models/reload",
       "{\"run_id\":\"" + v.older + "\",\"mode\":\"canary\",\"rollout\":1.0}", "/models/reload",
       bad_mode, 400},
      {"reload a shadow without run id", true, "/models/reload",
       "{\"mode\":\"shadow\",\"rollout\":0.1}", "/models/reload", bad_mode, 400},
      {"reload production", true, "/models/reload", "", "/models/reload", bad_mode, 400},
      {"trigger a job", false, "/api/v1/jobs/user_profiles/run", "",
       "/api/v1/jobs/no_such_job/run", "", 404},
      {"start a pipeline run", false, "/api/v1/pipeline/runs", "", "/api/v1/pipeline/runs",
       "{\"bogus\":1}", 400},
  };
}

const std::vector<Credential>& Credentials() {
  static const std::vector<Credential> kAll = {
      {"nothing", {}},
      {"wrong X-API-Key", {{"X-API-Key", "nope"}}},
      {"wrong bearer", {{"Authorization", "Bearer nope"}}},
      {"X-API-Key KEY", {{"X-API-Key", "KEY"}}},
      {"Bearer KEY", {{"Authorization", "Bearer KEY"}}},
      {"Bearer TOK", {{"Authorization", "Bearer TOK"}}},
  };
  return kAll;
}

std::vector<CredentialConfig> CredentialConfigs() {
  std::set<std::string> all;
  for (const Credential& c : Credentials()) all.insert(c.name);
  const std::set<std::string> key = {"X-API-Key KEY", "Bearer KEY"};
  const std::set<std::string> token = {"Bearer TOK"};
  const Headers with_key = {{"X-API-Key", "KEY"}};
  return {
      {"no credential (loopback client)", {}, all, all, "nothing", {}},
      {"API key only", {{"RECO_SERVER_API_KEY", "KEY"}}, key, key, "Bearer KEY", with_key},
      {"reload token only", {{"MODEL_RELOAD_TOKEN", "TOK"}}, token, token, "Bearer TOK", {}},
      {"API key and reload token",
       {{"RECO_SERVER_API_KEY", "KEY"}, {"MODEL_RELOAD_TOKEN", "TOK"}},
       token,
       key,
       "Bearer TOK",
       with_key},
  };
}

TEST(AdminAuth, NoStateChangingRouteIsOpenUnderAnyCredentialConfiguration) {
  TempDataDir dir("admin_auth");
  const fs::path prepared = dir.path() / "prepared";
  const Versions v = PrepareVersions(prepared);
  ASSERT_FALSE(v.older.empty());
  const std::vector<AdminRoute> routes = AdminRoutes(v);
  const std::vector<CredentialConfig> configs = CredentialConfigs();
  ASSERT_FALSE(routes.empty());
  ASSERT_FALSE(configs.empty());
  int configuration = 0;
  for (const CredentialConfig& config : configs) {
    SCOPED_TRACE(config.name);
    const fs::path data = dir.path() / ("data" + std::to_string(configuration++));
    fs::copy(prepared, data, fs::copy_options::recursive);
    TestServer server;
    ASSERT_EQ(server.Start(data, {.env = config.env}), "");
    HttpClient c(server.port());
    ASSERT_EQ(VariantRunId(c, "primary"), v.newer);
    int denied = 0, allowed = 0;
    for (const AdminRoute& route : routes) {
      for (const Credential& credential : Credentials()) {
        SCOPED_TRACE(route.name + " with " + credential.name);
        const auto& ok = route.reload ? config.reload_ok : config.operate_ok;
        if (ok.count(credential.name) == 0) {
          HttpResult r = c.Post(route.target, route.body, credential.headers);
          EXPECT_EQ(r.status, 401) << r.body;
          EXPECT_FALSE(ErrorField(r.body).empty()) << r.body;
          EXPECT_NE(ErrorMessage(r.body).find("needs the header"), std::string::npos) << r.body;
          ++denied;
        } else {
          HttpResult r = c.Post(route.harmless_target, route.harmless_body, credential.headers);
          EXPECT_EQ(r.status, route.harmless_status) << r.body;
          ++allowed;
        }
      }
    }
    EXPECT_GT(allowed, 0);
    EXPECT_EQ(denied == 0, config.env.empty()) << "denied " << denied;
    // Nothing changed: same primary, no canary or shadow, no job or pipeline run.
    EXPECT_EQ(VariantRunId(c, "primary"), v.newer);
    EXPECT_EQ(VariantRunId(c, "canary"), "");
    EXPECT_EQ(VariantRunId(c, "shadow"), "");
    EXPECT_EQ(ManualJobRuns(c, config.read_headers), 0);
    EXPECT_EQ(PipelineRuns(c, config.read_headers), 0);
    // The right credential does work end to end.
    Headers right;
    for (const Credential& credential : Credentials()) {
      if (credential.name == config.reload_with) right = credential.headers;
    }
    HttpResult r = c.Post("/models/reload", routes[1].body, right);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(VariantRunId(c, "canary"), v.older);
    const bool warned = server.log().find("event=admin_routes_loopback_only") != std::string::npos;
    EXPECT_EQ(warned, config.env.empty()) << server.log();
    EXPECT_TRUE(server.Stop(SIGTERM).Ok());
  }
}

// The first IPv4 address of an interface that is up and not loopback; "" when there is none.
std::string NonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* a = list; a != nullptr && found.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_UP) == 0 || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) found = text;
  }
  ::freeifaddrs(list);
  return found;
}

// One POST to ip:port over a fresh connection; returns the raw response ("" on failure).
std::string RawPost(const std::string& ip, int port, const std::string& target,
                    const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    std::ostringstream req;
    req << "POST " << target << " HTTP/1.1\r\nHost: " << ip << "\r\nConnection: close\r\n"
        << "Content-Type: application/json\r\nContent-Length: " << body.size() << "\r\n\r\n"
        << body;
    const std::string text = req.str();
    if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) response.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

TEST(AdminAuth, WithoutAnyCredentialOnlyLoopbackClientsAreAnswered) {
  const std::string ip = NonLoopbackAddress();
  if (ip.empty()) GTEST_SKIP() << "this machine has no non-loopback IPv4 address to call from";
  TempDataDir dir("admin_loopback");
  const fs::path data = dir.path() / "data";
  const Versions v = PrepareVersions(data);
  ASSERT_FALSE(v.older.empty());
  TestServer server;
  ASSERT_EQ(server.Start(data, {.args = {"--host", "0.0.0.0"}}), "");
  const std::vector<AdminRoute> routes = AdminRoutes(v);
  ASSERT_FALSE(routes.empty());
  for (const AdminRoute& route : routes) {
    SCOPED_TRACE(route.name);
    std::string response = RawPost(ip, server.port(), route.target, route.body);
    EXPECT_EQ(response.rfind("HTTP/1.1 403", 0), 0u) << response;
    EXPECT_NE(response.find("only clients on the loopback interface"), std::string::npos)
        << response;
  }
  HttpClient c(server.port());
  EXPECT_EQ(VariantRunId(c, "primary"), v.newer);
  EXPECT_EQ(VariantRunId(c, "canary"), "");
  EXPECT_EQ(VariantRunId(c, "shadow"), "");
  EXPECT_EQ(PipelineRuns(c, {}), 0);
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

// The operators' call right after a pipeline run: shadow (and canary) without a run id.
TEST(ReloadSelection, ShadowAndCanaryWithoutRunIdTakeTheNewestVersionThatIsNotProduction) {
  TempDataDir dir("reload_select");
  const fs::path data = dir.path() / "data";
  const Versions v = PrepareVersions(data);
  ASSERT_FALSE(v.older.empty());
  FakeClock clock(kT0 + 3600 * kMicrosPerSecond);
  // Production moves back to the older version: the newest registered one is the candidate.
  ASSERT_TRUE(registry::ModelRegistry(data, clock).Promote(v.older, "production").ok());
  TestServer server;
  ASSERT_EQ(server.Start(data), "");
  HttpClient c(server.port());
  ASSERT_EQ(VariantRunId(c, "primary"), v.older);

  HttpResult r = c.Post("/models/reload", "{\"mode\":\"shadow\",\"rollout\":0.1}");
  ASSERT_EQ(r.status, 200) << r.body;
  Json answer(r.body);
  EXPECT_EQ(StringField(answer.root(), "run_id"), v.newer);
  EXPECT_EQ(StringField(answer.root(), "selected_by"), "newest_not_production");
  EXPECT_EQ(StringField(answer.root(), "mode"), "shadow");
  EXPECT_EQ(VariantRunId(c, "shadow"), v.newer);

  r = c.Post("/models/reload", "{\"mode\":\"canary\",\"rollout\":0.2}");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(StringField(Json(r.body).root(), "run_id"), v.newer);
  EXPECT_EQ(VariantRunId(c, "canary"), v.newer);

  EXPECT_TRUE(server.Stop(SIGTERM).Ok());

  // One training, registered and in production: nothing else to load, 404 saying so.
  const fs::path single = dir.path() / "single";
  ASSERT_EQ(PrepareDemoData(single, {.users = 20, .items = 30, .seed = 14}), "");
  Result<registry::RegistryContents> contents = registry::ModelRegistry(single, clock).Load();
  ASSERT_TRUE(contents.ok() && contents->versions.size() == 1);
  const std::string only = contents->versions[0].run_id;
  ASSERT_TRUE(registry::ModelRegistry(single, clock).Promote(only, "production").ok());
  TestServer single_server;
  ASSERT_EQ(single_server.Start(single), "");
  HttpClient s(single_server.port());
  r = s.Post("/models/reload", "{\"mode\":\"shadow\",\"rollout\":0.1}");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_NE(ErrorMessage(r.body).find("no registered model version other than production (" +
                                      only + ")"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(VariantRunId(s, "shadow"), "");
  EXPECT_TRUE(single_server.Stop(SIGTERM).Ok());
}

// A run id with CR/LF in a reload body: the warning about it is one line, escaped.
TEST(LogInjection, AClientValueWithLineBreaksStaysOnOneLogLine) {
  TempDataDir dir("log_injection");
  const fs::path data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 30, .items = 40, .seed = 13}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data), "");
  HttpClient c(server.port());
  const std::string forged = "2030-01-01T00:00:00.000+0000 level=error FORGED";
  HttpResult r = c.Post("/models/reload",
                        "{\"run_id\":\"x\\r\\n" + forged + "\",\"mode\":\"canary\"}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(ErrorField(r.body), "run_id");
  ASSERT_TRUE(server.Stop(SIGTERM).Ok());
  std::vector<std::string> lines;
  std::istringstream log(server.log());
  for (std::string line; std::getline(log, line);) {
    if (line.find("FORGED") != std::string::npos) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 1u) << server.log();
  EXPECT_NE(lines[0].find("level=warning event=model_reload_failed"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("x\\r\\n" + forged), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].find('\r'), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace reco::itest
