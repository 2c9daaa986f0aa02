// `reco doctor`: each check made to fail on purpose on real files, sockets and processes (a
// trained data dir with a model file altered, a store file overwritten, a listening socket, a
// running reco serve, directories owned by another account), then the binary's exit codes and
// --json; and scripts/smoke_test.sh against a real reco serve.
#include "app/doctor.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>

#include "cache/testing/test_redis.h"
#include "pipeline/testing/mariadb_server.h"
#include "tests/integration/test_server.h"

namespace reco::doctor {
namespace {

namespace fs = std::filesystem;
using itest::TempDataDir;

// An account that is not the test's own (the containers' uid/gid).
constexpr RunAs kOther{50000, 50000};

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A TCP socket listening on 127.0.0.1 on a free port; closed on destruction.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd_, 4) != 0) {
      return;
    }
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port nothing listens on (bound once, then released).
int FreePort() {
  Listener l;
  return l.port();
}

TEST(DoctorConfiguration, NamesTheBadKey) {
  TempDataDir dir("doctor_config");
  WriteText(dir.path() / "reco.toml", "[server]\nhttp_port = 70000\n");
  RecoConfig loaded;
  CheckResult r = CheckConfiguration(dir.path() / "reco.toml", &loaded);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("server.http_port"), std::string::npos) << r.message;
  EXPECT_NE(r.fix.find("set server.http_port to an accepted value in"), std::string::npos) << r.fix;
  EXPECT_EQ(loaded.server.http_port, 8000);  // the defaults for the other checks

  WriteText(dir.path() / "reco.toml", "[server]\nhttp_port = 8001\n");
  r = CheckConfiguration(dir.path() / "reco.toml", &loaded);
  EXPECT_EQ(r.status, CheckStatus::kOk) << r.message;
  EXPECT_EQ(loaded.server.http_port, 8001);
}

TEST(DoctorDirectories, ModelsOwnedByAnotherAccountPrintTheChownLine) {
  TempDataDir dir("doctor_dirs");
  for (const char* sub : {"models", "evaluation", "_metadata"})
    fs::create_directories(dir.path() / sub);
  WriteText(dir.path() / "models" / "itemcf-1.rmdl", "x");
  // The running account owns everything: writable for it.
  std::vector<CheckResult> own = CheckDirectories(dir.path(), RecoConfig{}, RunAs::Current());
  ASSERT_FALSE(own.empty());
  for (const CheckResult& c : own)
    EXPECT_EQ(c.status, CheckStatus::kOk) << c.name << ": " << c.message;

  // For another account the same tree (mode 0755, not its own) is "Permission denied".
  std::vector<CheckResult> other = CheckDirectories(dir.path(), RecoConfig{}, kOther);
  ASSERT_GE(other.size(), 4u);
  EXPECT_EQ(other[1].name, "directory models/");
  EXPECT_EQ(other[1].status, CheckStatus::kFailure);
  EXPECT_NE(other[1].message.find("Permission denied for uid 50000"), std::string::npos)
      << other[1].message;
  EXPECT_EQ(other[1].fix, "chown -R 50000:50000 " + (dir.path() / "models").string());

  // Handing models/ to that account clears it (root can; otherwise it is made group-writable
  // for a group the account is in).
  if (geteuid() == 0) {
    ASSERT_EQ(::chown((dir.path() / "models").c_str(), 50000, 50000), 0);
    ASSERT_EQ(::chown((dir.path() / "models" / "itemcf-1.rmdl").c_str(), 50000, 50000), 0);
    EXPECT_EQ(CheckDirectories(dir.path(), RecoConfig{}, kOther)[1].status, CheckStatus::kOk);
  }
}

TEST(DoctorDirectories, ReadOnlyDirectoryForTheRunningUser) {
  if (geteuid() == 0) {
    // root passes every permission check of the kernel; the other-account path above covers it.
    TempDataDir dir("doctor_ro");
    fs::create_directories(dir.path() / "models");
    fs::permissions(dir.path() / "models", fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_TRUE(Permitted(dir.path() / "models", RunAs::Current(), true));
    EXPECT_FALSE(Permitted(dir.path() / "models", RunAs{geteuid() + 1, getegid() + 1}, true));
    return;
  }
  TempDataDir dir("doctor_ro");
  fs::create_directories(dir.path() / "models");
  fs::permissions(dir.path() / "models", fs::perms::owner_read | fs::perms::owner_exec);
  std::vector<CheckResult> r = CheckDirectories(dir.path(), RecoConfig{}, RunAs::Current());
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ(r[1].status, CheckStatus::kFailure) << r[1].message;
  fs::permissions(dir.path() / "models", fs::perms::owner_all);
}

TEST(DoctorDirectories, MissingMetadataIsAWarningWithMkdir) {
  TempDataDir dir("doctor_missing");
  fs::create_directories(dir.path() / "models");
  fs::create_directories(dir.path() / "evaluation");
  std::vector<CheckResult> r = CheckDirectories(dir.path(), RecoConfig{}, kOther);
  ASSERT_GE(r.size(), 4u);
  EXPECT_EQ(r[3].name, "directory _metadata/");
  EXPECT_EQ(r[3].status, CheckStatus::kWarning);
  EXPECT_NE(r[3].message.find("does not exist"), std::string::npos);
  const std::string meta = (dir.path() / "_metadata").string();
  EXPECT_EQ(r[3].fix, "mkdir -p " + meta + " && chown -R 50000:50000 " + meta);

  std::vector<CheckResult> gone = CheckDirectories(dir.path() / "nope", RecoConfig{}, kOther);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].status, CheckStatus::kFailure);
}

class DoctorTrained : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDataDir("doctor_trained");
    prepare_error_ =
        new std::string(itest::PrepareDemoData(dir_->path() / "data", {.users = 60, .items = 80}));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete prepare_error_;
  }
  void SetUp() override { ASSERT_EQ(*prepare_error_, ""); }
  // A fresh copy of the trained data dir, so that each test damages its own.
  fs::path Copy(const std::string& name) {
    const fs::path to = dir_->path() / name;
    fs::copy(dir_->path() / "data", to, fs::copy_options::recursive);
    return to;
  }
  static TempDataDir* dir_;
  static std::string* prepare_error_;
};
TempDataDir* DoctorTrained::dir_ = nullptr;
std::string* DoctorTrained::prepare_error_ = nullptr;

TEST_F(DoctorTrained, AlteredModelFileFailsItsSha256) {
  const fs::path data = Copy("models_altered");
  CheckResult before = CheckModels(data);
  EXPECT_EQ(before.status, CheckStatus::kOk) << before.message;
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(data / "models")) {
    if (e.path().extension() == ".rmdl") models.push_back(e.path());
  }
  ASSERT_FALSE(models.empty());
  std::ofstream(models[0], std::ios::app) << "tampered";
  CheckResult r = CheckModels(data);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("sha256 mismatch"), std::string::npos) << r.message;
  EXPECT_EQ(r.fix, "reco train --data-dir " + data.string());
}

// With a previous version intact, a broken production is rolled back rather than retrained.
TEST_F(DoctorTrained, BrokenProductionWithAnIntactPreviousIsRolledBack) {
  const fs::path data = Copy("models_previous");
  std::set<fs::path> first;
  for (const auto& e : fs::directory_iterator(data / "models")) first.insert(e.path());
  ASSERT_TRUE(itest::RunReco({"train", "--data-dir", data.string()}, data / "train.log").Ok())
      << itest::ReadFile(data / "train.log");
  std::vector<fs::path> newer;
  for (const auto& e : fs::directory_iterator(data / "models")) {
    if (e.path().extension() == ".rmdl" && !first.contains(e.path())) newer.push_back(e.path());
  }
  ASSERT_FALSE(newer.empty());
  std::ofstream(newer[0], std::ios::app) << "tampered";
  CheckResult r = CheckModels(data);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("sha256 mismatch"), std::string::npos) << r.message;
  EXPECT_EQ(r.fix, "reco models rollback --data-dir " + data.string());
}

TEST_F(DoctorTrained, UnreadableRegistryPointsToItsBackupOrARetrain) {
  const fs::path data = Copy("models_registry");
  const fs::path registry = data / "models" / "model_registry.json";
  WriteText(registry, "{not json");
  CheckResult r = CheckModels(data);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("model_registry.json"), std::string::npos) << r.message;
  if (fs::exists(registry.string() + ".bak")) {
    EXPECT_EQ(r.fix, "cp " + registry.string() + ".bak " + registry.string());
    fs::remove(registry.string() + ".bak");
    r = CheckModels(data);
  }
  EXPECT_EQ(r.fix, "mv " + registry.string() + " " + registry.string() +
                       ".broken && reco train --data-dir " + data.string());
}

TEST_F(DoctorTrained, NoModelAtAllIsAWarning) {
  const fs::path data = Copy("models_none");
  fs::remove_all(data / "models");
  CheckResult r = CheckModels(data);
  EXPECT_EQ(r.status, CheckStatus::kWarning);
  EXPECT_NE(r.message.find("no trained model"), std::string::npos) << r.message;
  EXPECT_EQ(r.fix, "reco train --data-dir " + data.string());
}

TEST_F(DoctorTrained, CorruptedStoreFailsQuickCheck) {
  const fs::path data = Copy("store_corrupt");
  CheckResult before = CheckSqlite(data, RecoConfig{});
  EXPECT_EQ(before.status, CheckStatus::kOk) << before.message;
  const fs::path db = data / "reco.db";
  ASSERT_GT(fs::file_size(db), 4u * 4096);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * 4096);  // pages 3 and 4: table b-trees, not the header
    const std::string junk(2 * 4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  CheckResult r = CheckSqlite(data, RecoConfig{});
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("reco.db"), std::string::npos) << r.message;
  EXPECT_NE(r.fix.find(".recover"), std::string::npos) << r.fix;
  EXPECT_NE(r.fix.find("from the last backup"), std::string::npos) << r.fix;
}

TEST_F(DoctorTrained, PortAnsweredByReco) {
  itest::TestServer server;
  ASSERT_EQ(server.Start(dir_->path() / "data"), "");
  RecoConfig config;
  config.server.http_port = server.port();
  CheckResult r = CheckHttpPort(config, 5);
  EXPECT_EQ(r.status, CheckStatus::kOk);
  EXPECT_NE(r.message.find("in use by a running reco serve"), std::string::npos) << r.message;
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

TEST(DoctorHttpPort, PortTakenByAnotherProgram) {
  Listener other;
  ASSERT_GT(other.port(), 0);
  RecoConfig config;
  config.server.http_port = other.port();
  // The listener accepts but never answers: the probe gives up at its deadline.
  CheckResult r = CheckHttpPort(config, 1);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("in use by another program"), std::string::npos) << r.message;
  EXPECT_NE(r.fix.find("ss -ltnp 'sport = :" + std::to_string(other.port()) + "'"),
            std::string::npos)
      << r.fix;
  other.Close();
  r = CheckHttpPort(config, 1);
  EXPECT_EQ(r.status, CheckStatus::kOk) << r.message;
  EXPECT_NE(r.message.find("is free"), std::string::npos);
}

TEST(DoctorDiskSpace, ThresholdsAboveTheFreeSpace) {
  TempDataDir dir("doctor_disk");
  DiskThresholds fail{.failure_bytes = UINT64_MAX};
  CheckResult r = CheckDiskSpace(dir.path(), fail);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("writes will fail soon"), std::string::npos) << r.message;
  EXPECT_NE(r.fix.find("reco models retention --data-dir " + dir.str()), std::string::npos);
  DiskThresholds warn{.warning_bytes = UINT64_MAX, .failure_bytes = 0, .failure_fraction = 0};
  r = CheckDiskSpace(dir.path(), warn);
  EXPECT_EQ(r.status, CheckStatus::kWarning) << r.message;
  DiskThresholds none{
      .warning_bytes = 0, .warning_fraction = 0, .failure_bytes = 0, .failure_fraction = 0};
  EXPECT_EQ(CheckDiskSpace(dir.path(), none).status, CheckStatus::kOk);
}

TEST(DoctorClip, MissingIncompleteAndComplete) {
  TempDataDir dir("doctor_clip");
  RecoConfig config;
  config.content.clip_model_path = (dir.path() / "clip").string();
  CheckResult r = CheckClipModelPath(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("is not a directory (missing or not mounted)"), std::string::npos)
      << r.message;

  fs::create_directories(dir.path() / "clip");
  WriteText(dir.path() / "clip" / "config.json", "{}");
  r = CheckClipModelPath(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("incomplete: no weights file"), std::string::npos) << r.message;
  EXPECT_NE(r.fix.find("copy the whole model directory again"), std::string::npos);

  WriteText(dir.path() / "clip" / "model.safetensors.incomplete", "");
  WriteText(dir.path() / "clip" / "model.safetensors", "weights");
  r = CheckClipModelPath(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("partial download"), std::string::npos) << r.message;

  fs::remove(dir.path() / "clip" / "model.safetensors.incomplete");
  // Weights, but nothing else the encoders read: neither images nor texts can be embedded.
  r = CheckClipModelPath(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kFailure) << r.message;
  EXPECT_NE(r.message.find("incomplete: missing preprocessor_config.json, vocab.json, merges.txt"),
            std::string::npos)
      << r.message;

  WriteText(dir.path() / "clip" / "preprocessor_config.json", "{}");
  r = CheckClipModelPath(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kWarning) << r.message;
  EXPECT_NE(r.message.find("can embed images only: missing vocab.json, merges.txt"),
            std::string::npos)
      << r.message;

  WriteText(dir.path() / "clip" / "vocab.json", "{}");
  WriteText(dir.path() / "clip" / "merges.txt", "#version: 0.2\n");
  r = CheckClipModelPath(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kOk) << r.message;

  // PyTorch weights alone: reco reads safetensors only.
  fs::remove(dir.path() / "clip" / "model.safetensors");
  WriteText(dir.path() / "clip" / "pytorch_model.bin", "weights");
  r = CheckClipModelPath(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kFailure) << r.message;
  EXPECT_NE(r.message.find("only pytorch_model.bin, which reco does not read"), std::string::npos)
      << r.message;
  EXPECT_NE(r.fix.find("convert the checkpoint once to model.safetensors"), std::string::npos);
  fs::remove(dir.path() / "clip" / "pytorch_model.bin");
  WriteText(dir.path() / "clip" / "model.safetensors", "weights");

  fs::permissions(dir.path() / "clip", fs::perms::owner_all);  // 0700: not for another account
  r = CheckClipModelPath(config, kOther);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("Permission denied for uid 50000"), std::string::npos) << r.message;
}

TEST(DoctorHfHubOffline, WarnsWhenAModelPathIsSetWithoutIt) {
  RecoConfig config;
  EXPECT_EQ(CheckHfHubOffline(config).status, CheckStatus::kOk);
  config.content.clip_model_path = "/models/clip";
  CheckResult r = CheckHfHubOffline(config);
  EXPECT_EQ(r.status, CheckStatus::kWarning);
  EXPECT_NE(r.message.find("may still try to reach huggingface.co"), std::string::npos);
  EXPECT_EQ(r.fix, "export HF_HUB_OFFLINE=1");
  config.content.hf_hub_offline = "1";
  EXPECT_EQ(CheckHfHubOffline(config).status, CheckStatus::kOk);
}

TEST(DoctorDataJsonDir, NotMountedEmptyUnreadable) {
  TempDataDir dir("doctor_json");
  RecoConfig config;
  config.sources.json_dir = (dir.path() / "json").string();
  CheckResult r = CheckDataJsonDir(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("not found or not mounted"), std::string::npos) << r.message;
  EXPECT_NE(r.fix.find("mount the JSON data volume"), std::string::npos) << r.fix;

  fs::create_directories(dir.path() / "json");
  r = CheckDataJsonDir(config, RunAs::Current());
  EXPECT_EQ(r.status, CheckStatus::kWarning);
  EXPECT_NE(r.message.find("holds no .json or .jsonl file"), std::string::npos) << r.message;

  WriteText(dir.path() / "json" / "feedback.jsonl", "{}\n");
  EXPECT_EQ(CheckDataJsonDir(config, RunAs::Current()).status, CheckStatus::kOk);

  fs::permissions(dir.path() / "json", fs::perms::owner_all);
  r = CheckDataJsonDir(config, kOther);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("Permission denied for uid 50000"), std::string::npos) << r.message;
  EXPECT_EQ(r.fix, "chmod -R a+rX " + (dir.path() / "json").string());
}

TEST(DoctorMatomo, UnreachableServerNamesItAndTheClientCommand) {
  RecoConfig config;
  EXPECT_EQ(CheckMatomo(config).status, CheckStatus::kOk);  // not configured
  const int port = FreePort();
  ASSERT_GT(port, 0);
  config.sources.matomo_host = "127.0.0.1";
  config.sources.matomo_port = port;
  CheckResult r = CheckMatomo(config);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << r.message;
  EXPECT_NE(r.fix.find("mariadb -h 127.0.0.1 -P " + std::to_string(port)), std::string::npos)
      << r.fix;
}

// cache.url: not set is fine; a real redis-server answers; stopped, the check fails naming the
// URL with its password masked.
TEST(DoctorCache, RealRedisAnswersAndStoppedFailsWithTheMaskedUrl) {
  RecoConfig config;
  EXPECT_EQ(CheckCache(config).status, CheckStatus::kOk);
  reco::testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  config.cache.url = "redis://127.0.0.1:" + std::to_string(redis.port());
  CheckResult up = CheckCache(config);
  EXPECT_EQ(up.status, CheckStatus::kOk) << up.message;
  // The test server has no password: one in the URL is refused, and named masked.
  config.cache.url = "redis://:hunter2@127.0.0.1:" + std::to_string(redis.port());
  CheckResult refused = CheckCache(config);
  EXPECT_EQ(refused.status, CheckStatus::kFailure);
  EXPECT_NE(refused.message.find("refused AUTH"), std::string::npos) << refused.message;
  EXPECT_EQ(refused.message.find("hunter2"), std::string::npos) << refused.message;
  redis.Stop();
  CheckResult down = CheckCache(config);
  EXPECT_EQ(down.status, CheckStatus::kFailure);
  EXPECT_NE(down.message.find("redis://:***@127.0.0.1:" + std::to_string(redis.port())),
            std::string::npos)
      << down.message;
  EXPECT_EQ(down.message.find("hunter2"), std::string::npos);
  EXPECT_NE(down.fix.find("redis-cli"), std::string::npos) << down.fix;
}

// A real MariaDB: the check passes with Matomo's tables and names the one that is missing.
TEST(DoctorMatomo, RealServerWithAndWithoutTheTables) {
  reco::testing::MariaDbServer server;
  const std::string started = server.Start();
  if (started == "skip") GTEST_SKIP() << "mariadbd / mariadb-install-db not installed";
  ASSERT_EQ(started, "");
  MYSQL* root = server.RootConnection();
  ASSERT_NE(root, nullptr);
  for (const char* sql : {"CREATE DATABASE matomo", reco::testing::kMatomoLogActionTable,
                          "CREATE USER 'matomo'@'127.0.0.1' IDENTIFIED BY 'secret'",
                          "GRANT SELECT ON matomo.* TO 'matomo'@'127.0.0.1'"}) {
    ASSERT_EQ(mysql_query(root, sql), 0) << sql << ": " << mysql_error(root);
  }
  RecoConfig config;
  config.sources.matomo_host = "127.0.0.1";
  config.sources.matomo_port = server.port();
  config.sources.matomo_password = "secret";
  CheckResult r = CheckMatomo(config);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("matomo.matomo_log_link_visit_action does not exist"), std::string::npos)
      << r.message;

  ASSERT_EQ(mysql_query(root, reco::testing::kMatomoLinkVisitActionTable), 0) << mysql_error(root);
  mysql_close(root);
  r = CheckMatomo(config);
  EXPECT_EQ(r.status, CheckStatus::kOk) << r.message;
  EXPECT_NE(r.message.find("answers"), std::string::npos) << r.message;

  config.sources.matomo_password = "wrong";
  r = CheckMatomo(config);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("Access denied"), std::string::npos) << r.message;
}

TEST(DoctorWecom, AlertingWithoutAKey) {
  unsetenv("WEIXIN_WEBHOOK_URL");
  unsetenv("WEIXIN_WEBHOOK_KEY");
  TempDataDir dir("doctor_wecom");
  EXPECT_EQ(CheckWecom({}).status, CheckStatus::kOk);  // alerting not configured here
  const fs::path file = dir.path() / "gateway.toml";
  WriteText(file, "[gateway]\nlanguage = \"en\"\n");
  CheckResult r = CheckWecom(file);
  EXPECT_EQ(r.status, CheckStatus::kFailure);
  EXPECT_NE(r.message.find("no WeCom robot has a webhook key"), std::string::npos) << r.message;
  EXPECT_NE(r.fix.find("export WEIXIN_WEBHOOK_KEY="), std::string::npos) << r.fix;

  setenv("WEIXIN_WEBHOOK_KEY", "0123456789abcdef", 1);
  r = CheckWecom(file);
  unsetenv("WEIXIN_WEBHOOK_KEY");
  EXPECT_EQ(r.status, CheckStatus::kOk) << r.message;
  EXPECT_EQ(r.message.find("0123456789abcdef"), std::string::npos) << "the key is masked";
}

// The binary: exit 0 on a healthy dir, 1 with a warning, 2 with a failure; --json.
TEST_F(DoctorTrained, BinaryExitCodesAndJson) {
  const fs::path data = Copy("binary");
  fs::create_directories(data / "evaluation");
  WriteText(data / "reco.toml", "[server]\nhttp_port = " + std::to_string(FreePort()) + "\n");
  const fs::path log = dir_->path() / "binary.log";
  const itest::Env env = {{"WEIXIN_WEBHOOK_URL", ""}, {"WEIXIN_WEBHOOK_KEY", ""}};
  auto run = [&](std::vector<std::string> extra) {
    fs::remove(log);
    std::vector<std::string> args = {"doctor", "--data-dir", data.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return itest::RunReco(args, log, env);
  };
  // The machine's own free space is part of the verdict: a disk short of room raises it.
  const int disk = static_cast<int>(CheckDiskSpace(data, DiskThresholds{}).status);
  itest::ExitStatus st = run({});
  EXPECT_EQ(st.code, std::max(1, disk)) << itest::ReadFile(log);  // _metadata/ is missing
  EXPECT_NE(itest::ReadFile(log).find("[WARN] directory _metadata/"), std::string::npos);

  fs::create_directories(data / "_metadata");
  st = run({});
  EXPECT_EQ(st.code, disk) << itest::ReadFile(log);
  if (disk == 0) {
    EXPECT_NE(itest::ReadFile(log).find("0 warning(s), 0 failure(s)"), std::string::npos);
  }

  st = run({"--json", "--user", "50000:50000"});
  EXPECT_EQ(st.code, 2) << itest::ReadFile(log);
  itest::Json json(itest::ReadFile(log));
  ASSERT_TRUE(json.ok()) << json.error() << itest::ReadFile(log);
  EXPECT_EQ(itest::StringField(json.root(), "status"), "failure");
  simdjson::dom::array checks;
  ASSERT_EQ(json["checks"].get(checks), simdjson::SUCCESS);
  ASSERT_GT(checks.size(), 10u);
  bool found = false;
  for (simdjson::dom::element c : checks) {
    if (itest::StringField(c, "name") != "directory models/") continue;
    found = true;
    EXPECT_EQ(itest::StringField(c, "status"), "failure");
    EXPECT_EQ(itest::StringField(c, "fix"), "chown -R 50000:50000 " + (data / "models").string());
  }
  EXPECT_TRUE(found);
}

// scripts/smoke_test.sh passes against a trained server and names the health step against a
// server without models.
int RunSmoke(const std::string& url, const fs::path& log, const std::string& api_key = "") {
  const std::string cmd = "RECO_API_KEY='" + api_key +
                          "' bash " RECO_SOURCE_DIR "/scripts/smoke_test.sh " + url + " > " +
                          log.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_F(DoctorTrained, SmokeTestPassesOnATrainedServer) {
  itest::TestServer server;
  ASSERT_EQ(server.Start(dir_->path() / "data"), "");
  const fs::path log = dir_->path() / "smoke_ok.log";
  EXPECT_EQ(RunSmoke(server.url(), log), 0) << itest::ReadFile(log);
  const std::string out = itest::ReadFile(log);
  for (const char* step : {"ok   health", "ok   similar", "ok   recommend_detail",
                           "ok   api_recommend", "ok   metrics", "smoke test passed"}) {
    EXPECT_NE(out.find(step), std::string::npos) << step << "\n" << out;
  }
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

// With an API key on the server, the smoke test sends RECO_API_KEY; without it the first step
// behind the key fails and is named.
TEST_F(DoctorTrained, SmokeTestSendsTheApiKey) {
  itest::TestServer server;
  ASSERT_EQ(server.Start(dir_->path() / "data", {.env = {{"RECO_SERVER_API_KEY", "k3y"}}}), "");
  const fs::path log = dir_->path() / "smoke_key.log";
  EXPECT_EQ(RunSmoke(server.url(), log, "k3y"), 0) << itest::ReadFile(log);
  EXPECT_EQ(RunSmoke(server.url(), log), 1) << itest::ReadFile(log);
  const std::string out = itest::ReadFile(log);
  EXPECT_NE(out.find("smoke test failed at step: items"), std::string::npos) << out;
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

TEST(SmokeTest, FailsAtHealthWithoutModels) {
  TempDataDir dir("smoke_empty");
  itest::TestServer server;
  ASSERT_EQ(server.Start(dir.path(), {.args = {"--init"}}), "");
  const fs::path log =
      dir.path().parent_path() / ("smoke_fail_" + std::to_string(getpid()) + ".log");
  EXPECT_EQ(RunSmoke(server.url(), log), 1) << itest::ReadFile(log);
  const std::string out = itest::ReadFile(log);
  EXPECT_NE(out.find("FAIL health: models_loaded is not true"), std::string::npos) << out;
  EXPECT_NE(out.find("smoke test failed at step: health"), std::string::npos) << out;
  fs::remove(log);
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

}  // namespace
}  // namespace reco::doctor
