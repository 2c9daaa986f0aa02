#include "tests/integration/test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace reco::itest {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(5);

// Variables of the parent that would change the child's configuration are not inherited.
bool IsConfigVariable(std::string_view entry) {
  return entry.starts_with("RECO_") || entry.starts_with("MODEL_RELOAD_TOKEN=") ||
         entry.starts_with("DATA_JSON_DIR=");
}

std::vector<std::string> ChildEnvironment(const Env& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!IsConfigVariable(*e)) out.emplace_back(*e);
  }
  for (const auto& [name, value] : extra) out.push_back(name + "=" + value);
  return out;
}

ExitStatus Decode(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.exited = true;
    s.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  return s;
}

// Waits for `pid` until `deadline`; nullopt-like {exited=false, signal=0} when still running.
bool WaitUntil(pid_t pid, Clock::time_point deadline, ExitStatus& out) {
  while (true) {
    int wstatus = 0;
    pid_t r = waitpid(pid, &wstatus, WNOHANG);
    if (r == pid) {
      out = Decode(wstatus);
      return true;
    }
    if (r < 0) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

// The port of "listening on http://HOST:PORT" in `log`, 0 when not there yet.
int ListeningPort(const std::string& log) {
  constexpr std::string_view kMarker = "listening on http://";
  size_t pos = log.find(kMarker);
  if (pos == std::string::npos) return 0;
  size_t end = log.find_first_of(" \n", pos + kMarker.size());
  if (end == std::string::npos) return 0;
  std::string address = log.substr(pos + kMarker.size(), end - pos - kMarker.size());
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return 0;
  int port = 0;
  for (char c : address.substr(colon + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
    port = port * 10 + (c - '0');
  }
  return port;
}

}  // namespace

std::string RecoBinary() { return RECO_BINARY; }

pid_t SpawnReco(const std::vector<std::string>& args, const std::filesystem::path& log,
                const Env& env, uint64_t open_files_limit) {
  std::vector<std::string> argv_strings = {RecoBinary()};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = ChildEnvironment(env);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  // The child is killed when the test process dies, so that a crashed test leaves no server.
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls until execve.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) ::_exit(127);
    const rlimit files{static_cast<rlim_t>(open_files_limit),
                       static_cast<rlim_t>(open_files_limit)};
    if (open_files_limit > 0 && ::setrlimit(RLIMIT_NOFILE, &files) != 0) ::_exit(127);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

TempDataDir::TempDataDir(std::string_view tag) {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("reco_itest_" + std::string(tag) + "_" + std::to_string(::getpid()) + "_" +
           std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDataDir::~TempDataDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  // Logs and sources the helpers write beside the directory: PATH_serve_N.log, PATH_src, ...
  const std::string sibling_prefix = path_.filename().string() + "_";
  std::vector<std::filesystem::path> siblings;
  for (const auto& entry : std::filesystem::directory_iterator(path_.parent_path(), ec)) {
    if (entry.path().filename().string().starts_with(sibling_prefix)) {
      siblings.push_back(entry.path());
    }
  }
  for (const auto& sibling : siblings) std::filesystem::remove_all(sibling, ec);
}

std::string ExitStatus::ToString() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "not finished";
}

ExitStatus RunReco(const std::vector<std::string>& args, const std::filesystem::path& log,
                   const Env& env) {
  pid_t pid = SpawnReco(args, log, env);
  if (pid < 0) return ExitStatus{};
  int wstatus = 0;
  if (waitpid(pid, &wstatus, 0) != pid) return ExitStatus{};
  return Decode(wstatus);
}

std::string PrepareDemoData(const std::filesystem::path& data_dir, const DemoDataOptions& options) {
  std::filesystem::path src = data_dir.string() + "_src";
  std::filesystem::path log = data_dir.string() + "_prepare.log";
  std::filesystem::create_directories(data_dir);
  auto fail = [&](const std::string& what) {
    std::string text = what + " failed; log:\n" + ReadFile(log);
    std::error_code ec;
    std::filesystem::remove_all(src, ec);
    std::filesystem::remove(log, ec);
    return text;
  };
  if (!RunReco({"demo-data", "--out", src.string(), "--users", std::to_string(options.users),
                "--items", std::to_string(options.items), "--seed", std::to_string(options.seed)},
               log)
           .Ok()) {
    return fail("reco demo-data");
  }
  if (!RunReco({"import", "--data-dir", data_dir.string(), src.string()}, log).Ok()) {
    return fail("reco import");
  }
  if (options.train && !RunReco({"train", "--data-dir", data_dir.string()}, log).Ok()) {
    return fail("reco train");
  }
  std::error_code ec;
  std::filesystem::remove_all(src, ec);
  std::filesystem::remove(log, ec);
  return "";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string HttpResult::Header(std::string_view name) const {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto it = headers.find(lower);
  return it == headers.end() ? std::string() : it->second;
}

struct HttpClient::Impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  int port = 0;
  bool connected = false;

  beast::error_code Connect() {
    beast::error_code ec;
    stream.expires_after(std::chrono::seconds(30));
    stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"),
                                          static_cast<unsigned short>(port)),
                   ec);
    connected = !ec;
    buffer.clear();
    return ec;
  }

  void Close() {
    beast::error_code ignored;
    stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    stream.close();
    connected = false;
  }
};

HttpClient::HttpClient(int port) : impl_(std::make_unique<Impl>()) { impl_->port = port; }

HttpClient::~HttpClient() {
  if (impl_->connected) impl_->Close();
}

HttpResult HttpClient::Request(std::string_view method, std::string_view target,
                               std::string_view body, const Headers& headers,
                               const std::function<void()>& after_write) {
  HttpResult out;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = impl_->connected;
    if (!impl_->connected) {
      if (auto ec = impl_->Connect()) {
        out.body = "connect: " + ec.message();
        return out;
      }
    }
    http::request<http::string_body> req;
    req.method_string(std::string(method));
    req.target(std::string(target));
    req.version(11);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.body() = std::string(body);
      req.prepare_payload();
    }
    beast::error_code ec;
    impl_->stream.expires_after(std::chrono::seconds(60));
    http::write(impl_->stream, req, ec);
    if (!ec && after_write) after_write();
    http::response_parser<http::string_body> parser;
    parser.body_limit(1024ull * 1024 * 1024);
    if (!ec) http::read(impl_->stream, impl_->buffer, parser, ec);
    if (ec) {
      impl_->Close();
      out.body = "transport: " + ec.message();
      if (reused) continue;  // the kept-alive connection was closed by the server
      return out;
    }
    auto& res = parser.get();
    out.status = res.result_int();
    out.body = std::move(res.body());
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace(std::move(name), std::string(field.value()));
    }
    if (!res.keep_alive()) impl_->Close();
    return out;
  }
  return out;
}

TestServer::~TestServer() {
  if (pid_ > 0) Stop(SIGKILL, 10);
}

std::string TestServer::Start(const std::filesystem::path& data_dir, const ServerOptions& options) {
  static std::atomic<int> counter{0};
  log_path_ = data_dir.string() + "_serve_" + std::to_string(counter++) + ".log";
  std::filesystem::remove(log_path_);
  Env env = options.env;
  env.emplace_back("RECO_SERVER_THREADS", std::to_string(options.threads));
  std::vector<std::string> args = {"serve", "--data-dir", data_dir.string(), "--http-port", "0"};
  args.insert(args.end(), options.args.begin(), options.args.end());
  pid_ = SpawnReco(args, log_path_, env, options.open_files_limit);
  if (pid_ < 0) return "cannot spawn " + RecoBinary();
  auto deadline = Clock::now() + std::chrono::milliseconds(
                                     static_cast<int>(options.start_deadline_seconds * 1000));
  while (true) {
    port_ = ListeningPort(ReadFile(log_path_));
    if (port_ > 0) return "";
    ExitStatus status;
    if (WaitUntil(pid_, Clock::now(), status)) {
      pid_ = -1;
      return "reco serve exited before listening (" + status.ToString() + "); log:\n" + log();
    }
    if (Clock::now() >= deadline) {
      Stop(SIGKILL, 10);
      return "reco serve did not log \"listening on\" in time; log:\n" + log();
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

ExitStatus TestServer::Stop(int signal, double deadline_seconds) {
  ExitStatus status;
  if (pid_ <= 0) return status;
  ::kill(pid_, signal);
  auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int>(deadline_seconds * 1000));
  if (!WaitUntil(pid_, deadline, status)) {
    ::kill(pid_, SIGKILL);
    WaitUntil(pid_, Clock::now() + std::chrono::seconds(10), status);
    status.code = -1;
    status.exited = false;
  }
  pid_ = -1;
  return status;
}

Json::Json(std::string_view text) : parser_(std::make_unique<simdjson::dom::parser>()) {
  auto result = parser_->parse(simdjson::padded_string(text));
  if (result.error()) {
    error_ = simdjson::error_message(result.error());
    return;
  }
  root_ = result.value_unsafe();
  ok_ = true;
}

JsonValue Json::root() const {
  if (!ok_) return JsonValue(simdjson::INCORRECT_TYPE);
  return JsonValue(simdjson::dom::element(root_));
}

JsonValue Json::operator[](std::string_view key) const {
  if (!ok_) return JsonValue(simdjson::INCORRECT_TYPE);
  return root_[key];
}

std::vector<std::string> StringArray(std::string_view body) {
  std::vector<std::string> out;
  Json doc(body);
  simdjson::dom::array array;
  if (!doc.ok() || doc.root().get_array().get(array) != simdjson::SUCCESS) return out;
  for (auto e : array) {
    std::string_view s;
    if (e.get_string().get(s) != simdjson::SUCCESS) return {};
    out.emplace_back(s);
  }
  return out;
}

std::vector<std::string> ScoreIds(std::string_view body) {
  std::vector<std::string> out;
  Json doc(body);
  simdjson::dom::array array;
  if (!doc.ok() || doc.root().get_array().get(array) != simdjson::SUCCESS) return out;
  for (auto e : array) {
    std::string_view id;
    double score = 0;
    if (e["Id"].get_string().get(id) != simdjson::SUCCESS ||
        e["Score"].get_double().get(score) != simdjson::SUCCESS) {
      return {};
    }
    out.emplace_back(id);
  }
  return out;
}

std::string StringField(JsonValue e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s) != simdjson::SUCCESS) return "";
  return std::string(s);
}

std::string StringField(simdjson::dom::element e, std::string_view key) {
  return StringField(JsonValue(std::move(e)), key);
}

std::string ErrorField(std::string_view body) {
  Json doc(body);
  if (!doc.ok()) return "<not json>";
  return StringField(doc["error"], "field");
}

std::string ErrorMessage(std::string_view body) {
  Json doc(body);
  if (!doc.ok()) return "";
  return StringField(doc["error"], "message");
}

int64_t RowAffected(std::string_view body) {
  Json doc(body);
  int64_t n = -1;
  if (!doc.ok() || doc.root()["RowAffected"].get_int64().get(n) != simdjson::SUCCESS) return -1;
  return n;
}

int64_t ArraySize(std::string_view body) {
  Json doc(body);
  simdjson::dom::array a;
  if (doc.root().get_array().get(a) != simdjson::SUCCESS) return -1;
  return static_cast<int64_t>(a.size());
}

std::string FeedbackJson(std::string_view type, std::string_view user, std::string_view item,
                         std::string_view timestamp) {
  std::string out = R"({"FeedbackType":")";
  out.append(type).append(R"(","UserId":")").append(user).append(R"(","ItemId":")");
  out.append(item).append(R"(","Timestamp":")").append(timestamp).append("\"}");
  return out;
}

int64_t JsonInt(JsonValue value) {
  int64_t v = -1;
  if (value.get_int64().get(v) != simdjson::SUCCESS) return -1;
  return v;
}

double JsonNumber(JsonValue value) {
  double v = -1;
  if (value.get_double().get(v) != simdjson::SUCCESS) return -1;
  return v;
}

int64_t JsonArraySize(JsonValue value) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return -1;
  return static_cast<int64_t>(array.size());
}

std::string TimeText(int offset_seconds) {
  const std::time_t t =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) + offset_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace reco::itest
