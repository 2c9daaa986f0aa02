// Helpers for end-to-end tests of `reco serve`: a temporary data directory, runs of the reco
// binary (demo-data / import / train), a child `reco serve` on a free port, a small keep-alive
// HTTP/1.1 client and JSON helpers.
//
// Thread-safety: a TestServer and a TempDataDir belong to one test thread; an HttpClient belongs
// to one thread (make one per client thread). Lifetime: ~TestServer kills a still-running child;
// ~TempDataDir removes the directory.
#pragma once

#include <simdjson.h>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reco::itest {

using Env = std::vector<std::pair<std::string, std::string>>;
using Headers = std::vector<std::pair<std::string, std::string>>;

// Path of the reco binary under test.
std::string RecoBinary();

// A directory under the system temp dir named after `tag`, the pid and a counter; removed (with
// everything in it) on destruction.
class TempDataDir {
 public:
  explicit TempDataDir(std::string_view tag);
  ~TempDataDir();
  TempDataDir(const TempDataDir&) = delete;
  TempDataDir& operator=(const TempDataDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// How a child process ended.
struct ExitStatus {
  bool exited = false;  // true: normal exit with `code`; false: killed by `signal`
  int code = -1;
  int signal = 0;
  bool Ok() const { return exited && code == 0; }
  std::string ToString() const;
};

// Runs `reco args...` to completion with stdout+stderr appended to `log`; extra env vars on top
// of the current environment. Returns the exit status (code -1 when the spawn failed).
ExitStatus RunReco(const std::vector<std::string>& args, const std::filesystem::path& log,
                   const Env& env = {});

// Starts `reco args...` in the background with stdout+stderr appended to `log` and the same
// environment as RunReco; the child is SIGKILLed when the test process dies. `open_files_limit`
// > 0 sets the child's RLIMIT_NOFILE (soft and hard). Returns the child's pid (the caller waits
// for it), or -1 when the spawn failed.
pid_t SpawnReco(const std::vector<std::string>& args, const std::filesystem::path& log,
                const Env& env = {}, uint64_t open_files_limit = 0);

struct DemoDataOptions {
  int users = 200;
  int items = 300;
  int seed = 1;
  bool train = true;
};

// Fills `data_dir` with demo data (demo-data into a sibling source dir, import, and train when
// asked). Returns "" on success, otherwise the failure with the command's log.
std::string PrepareDemoData(const std::filesystem::path& data_dir, const DemoDataOptions& options);

// Contents of a file ("" when unreadable).
std::string ReadFile(const std::filesystem::path& path);

struct HttpResult {
  int status = -1;  // -1: transport error (message in `body`)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string Header(std::string_view name) const;
};

// A synchronous HTTP/1.1 client to 127.0.0.1:port with a persistent connection; reconnects once
// when the kept-alive connection turns out to be closed.
class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // `after_write` (when set) runs once the whole request has been written, before the response
  // is read: a test can act while the request is in flight.
  HttpResult Request(std::string_view method, std::string_view target, std::string_view body = {},
                     const Headers& headers = {}, const std::function<void()>& after_write = {});
  HttpResult Get(std::string_view target, const Headers& headers = {}) {
    return Request("GET", target, {}, headers);
  }
  HttpResult Post(std::string_view target, std::string_view body, const Headers& headers = {}) {
    return Request("POST", target, body, headers);
  }
  HttpResult Put(std::string_view target, std::string_view body = {}, const Headers& headers = {}) {
    return Request("PUT", target, body, headers);
  }
  HttpResult Patch(std::string_view target, std::string_view body, const Headers& headers = {}) {
    return Request("PATCH", target, body, headers);
  }
  HttpResult Delete(std::string_view target, const Headers& headers = {}) {
    return Request("DELETE", target, {}, headers);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ServerOptions {
  Env env;                        // extra environment of the child (RECO_SERVER_API_KEY, ...)
  std::vector<std::string> args;  // extra arguments of `reco serve` (--read-only, --host H)
  int threads = 2;                // RECO_SERVER_THREADS
  double start_deadline_seconds = 30;
  uint64_t open_files_limit = 0;  // > 0: the child's RLIMIT_NOFILE, soft and hard
};

// A `reco serve --data-dir D --http-port 0` child process.
class TestServer {
 public:
  TestServer() = default;
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Starts the child and waits (bounded) for its "listening on" line. Returns "" on success,
  // otherwise what went wrong plus the log.
  std::string Start(const std::filesystem::path& data_dir, const ServerOptions& options = {});
  // Sends `signal` and waits up to `deadline_seconds` for the exit (then SIGKILLs).
  ExitStatus Stop(int signal, double deadline_seconds = 30);
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadFile(log_path_); }
  const std::filesystem::path& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_path_;
};

// A JSON value or the error of reaching it; member access chains through errors safely.
using JsonValue = simdjson::simdjson_result<simdjson::dom::element>;

// A parsed JSON document that owns its parser.
class Json {
 public:
  explicit Json(std::string_view text);
  bool ok() const { return ok_; }
  // The root value, or an error result when the text did not parse.
  JsonValue root() const;
  // The member `key` of the root object, or an error result that chains safely.
  JsonValue operator[](std::string_view key) const;
  std::string error() const { return error_; }

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  simdjson::dom::element root_;
  bool ok_ = false;
  std::string error_;
};

// Helpers that read common response shapes; empty / "" on a shape mismatch.
std::vector<std::string> StringArray(std::string_view body);  // ["a","b"]
std::vector<std::string> ScoreIds(std::string_view body);     // [{"Id","Score"}]
std::string StringField(JsonValue e, std::string_view key);   // "" on mismatch
std::string StringField(simdjson::dom::element e, std::string_view key);
std::string ErrorField(std::string_view body);    // error.field
std::string ErrorMessage(std::string_view body);  // error.message
int64_t RowAffected(std::string_view body);       // -1 on mismatch
int64_t ArraySize(std::string_view body);         // -1 when not an array

// Numbers and array sizes of a JSON value; -1 on a shape mismatch.
int64_t JsonInt(JsonValue value);
double JsonNumber(JsonValue value);
int64_t JsonArraySize(JsonValue value);

// RFC 3339 text (UTC, seconds) of now + `offset_seconds`.
std::string TimeText(int offset_seconds);

// The JSON text of a Gorse feedback row.
std::string FeedbackJson(std::string_view type, std::string_view user, std::string_view item,
                         std::string_view timestamp = "2024-01-02T03:04:05Z");

}  // namespace reco::itest
