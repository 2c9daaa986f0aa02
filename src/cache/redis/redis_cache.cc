#include "cache/redis/redis_cache.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace reco {
namespace {

using SteadyClock = std::chrono::steady_clock;

struct RedisAddress {
  std::string host;
  int port = 6379;
  std::string user;
  std::string password;
  int db = 0;
};

Result<RedisAddress> ParseRedisUrl(std::string_view url) {
  auto bad = [&url](std::string_view why) {
    return InvalidArgument("cache.url: " + std::string(why) + " in \"" + MaskRedisUrl(url) +
                               "\"; expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]",
                           "cache.url");
  };
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) return bad("not a redis:// URL");
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress address;
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      address.password = std::string(userinfo);
    } else {
      address.user = std::string(userinfo.substr(0, colon));
      address.password = std::string(userinfo.substr(colon + 1));
    }
  }
  std::string_view hostport = rest;
  if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), address.db);
      if (ec != std::errc() || p != db.data() + db.size() || address.db < 0) {
        return bad("a database number that is not a number");
      }
    }
  }
  if (const size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = hostport.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), address.port);
    if (ec != std::errc() || p != port.data() + port.size() || address.port < 1 ||
        address.port > 65535) {
      return bad("a port that is not 1..65535");
    }
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return bad("no host");
  address.host = std::string(hostport);
  return address;
}

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

timeval Timeval(int ms) { return timeval{ms / 1000, static_cast<suseconds_t>((ms % 1000) * 1000)}; }

// A command as argv.
using Command = std::vector<std::string>;

Reply RunOn(redisContext* c, const Command& cmd) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::string& a : cmd) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return Reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
}

// Connects, authenticates and selects the database. The error names the masked URL.
Result<Context> Connect(const RedisAddress& address, const RedisCacheOptions& options,
                        const std::string& masked) {
  Context c(redisConnectWithTimeout(address.host.c_str(), address.port,
                                    Timeval(options.connect_timeout_ms)));
  if (c == nullptr) return Unavailable("cannot reach Redis at " + masked + ": out of memory");
  if (c->err != 0) return Unavailable("cannot reach Redis at " + masked + ": " + c->errstr);
  if (redisSetTimeout(c.get(), Timeval(options.command_timeout_ms)) != REDIS_OK) {
    return Unavailable("cannot reach Redis at " + masked + ": cannot set the timeout");
  }
  std::vector<Command> setup;
  if (!address.password.empty()) {
    setup.push_back(address.user.empty() ? Command{"AUTH", address.password}
                                          : Command{"AUTH", address.user, address.password});
  }
  if (address.db != 0) setup.push_back({"SELECT", std::to_string(address.db)});
  for (const Command& cmd : setup) {
    Reply r = RunOn(c.get(), cmd);
    if (r == nullptr) return Unavailable("cannot reach Redis at " + masked + ": " + c->errstr);
    if (r->type == REDIS_REPLY_ERROR) {
      return Unavailable("Redis at " + masked + " refused " + cmd[0] + ": " +
                         std::string(r->str, r->len));
    }
  }
  return c;
}

std::string ReplyText(const redisReply* r) {
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS &&
                       r->type != REDIS_REPLY_ERROR)) {
    return "";
  }
  return std::string(r->str, r->len);
}

constexpr const char* kAcquireScript = R"lua(
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, ':', 1, true)
  if string.sub(v, sep + 1) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return tonumber(string.sub(v, 1, sep - 1))
  end
  return -1
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. ARGV[1], 'NX', 'PX', ARGV[2])
return token
)lua";

constexpr const char* kReleaseScript = R"lua(
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, ':', 1, true)
  if string.sub(v, sep + 1) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
end
return 0
)lua";

class RedisCache;

// The thread of one subscription: connect (with back-off), SUBSCRIBE, hand each message to the
// handler; polls its socket so that Stop is noticed within kPollMs.
class RedisSubscription final : public Subscription {
 public:
  RedisSubscription(RedisAddress address, RedisCacheOptions options, std::string masked,
                    std::vector<std::string> channels, MessageHandler handler,
                    SubscribeOptions subscribe)
      : address_(std::move(address)),
        options_(std::move(options)),
        masked_(std::move(masked)),
        channels_(std::move(channels)),
        handler_(std::move(handler)),
        subscribe_(std::move(subscribe)) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~RedisSubscription() override {
    stopping_.store(true);
    if (thread_.joinable()) thread_.join();
  }

 private:
  static constexpr int kPollMs = 100;

  void Loop() {
    int backoff_ms = 50;
    bool reported = false;  // one warning per outage
    while (!stopping_.load()) {
      Status st = Session();
      if (stopping_.load()) return;
      if (options_.on_error) options_.on_error("subscribe");
      if (!reported) {
        spdlog::warn("event=cache_subscription_lost url={} reason=\"{}\"", masked_,
                     st.message());
        reported = true;
      }
      Sleep(backoff_ms);
      backoff_ms = std::min(backoff_ms * 2, options_.max_backoff_ms);
      if (connected_once_) {
        // A session that got as far as SUBSCRIBE resets the back-off for the next outage.
        connected_once_ = false;
        backoff_ms = 50;
        reported = false;
      }
    }
  }

  void Sleep(int ms) {
    const auto until = SteadyClock::now() + std::chrono::milliseconds(ms);
    while (!stopping_.load() && SteadyClock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 20)));
    }
  }

  // One connection's life: returns when it fails (or on stop).
  Status Session() {
    RECO_ASSIGN_OR_RETURN(Context c, Connect(address_, options_, masked_));
    Command cmd{"SUBSCRIBE"};
    cmd.insert(cmd.end(), channels_.begin(), channels_.end());
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(),
                               lens.data()) != REDIS_OK) {
      return Unavailable(c->errstr);
    }
    int done = 0;
    do {  // flush the command
      if (redisBufferWrite(c.get(), &done) != REDIS_OK) return Unavailable(c->errstr);
    } while (!done);
    size_t confirmed = 0;
    while (!stopping_.load()) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(c.get(), &raw) != REDIS_OK) return Unavailable(c->errstr);
      if (raw == nullptr) {
        pollfd p{.fd = c->fd, .events = POLLIN, .revents = 0};
        const int n = ::poll(&p, 1, kPollMs);
        if (n < 0 && errno != EINTR) return Unavailable("poll failed");
        if (n > 0 && redisBufferRead(c.get()) != REDIS_OK) return Unavailable(c->errstr);
        continue;
      }
      Reply reply(static_cast<redisReply*>(raw));
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) continue;
      const std::string kind = ReplyText(reply->element[0]);
      if (kind == "subscribe") {
        if (++confirmed == channels_.size()) {
          connected_once_ = true;
          spdlog::info("event=cache_subscribed url={} channels={}", masked_, channels_.size());
          if (subscribe_.on_connected) subscribe_.on_connected();
        }
      } else if (kind == "message") {
        const redisReply* channel = reply->element[1];
        const redisReply* message = reply->element[2];
        handler_(std::string_view(channel->str, channel->len),
                 std::string_view(message->str, message->len));
      }
    }
    return Status::Ok();
  }

  const RedisAddress address_;
  const RedisCacheOptions options_;
  const std::string masked_;
  const std::vector<std::string> channels_;
  MessageHandler handler_;
  SubscribeOptions subscribe_;
  std::atomic<bool> stopping_{false};
  bool connected_once_ = false;  // the subscription thread's own
  std::thread thread_;
};

class RedisCache final : public Cache {
 public:
  RedisCache(RedisAddress address, RedisCacheOptions options)
      : address_(std::move(address)),
        options_(std::move(options)),
        masked_(MaskRedisUrl(options_.url)) {}

  std::string Describe() const override { return masked_; }
  bool shared() const override { return true; }

  Status Ping() override {
    RECO_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run("ping", {{"PING"}}));
    return Status::Ok();
  }

  Status AppendHistory(std::string_view prefix, std::span<const HistoryEntry> entries,
                       const HistoryLimits& limits) override {
    if (limits.max_recent < 1) return InvalidArgument("max_recent must be >= 1", "max_recent");
    if (entries.empty()) return Status::Ok();
    std::vector<Command> cmds;
    std::vector<std::string> users;
    const std::string max = std::to_string(-limits.max_recent);
    for (const HistoryEntry& e : entries) {
      const std::string base = std::string(prefix) + e.user_id;
      if (e.positive) {
        cmds.push_back({"LREM", base + ":recent", "0", e.item_id});
        cmds.push_back({"RPUSH", base + ":recent", e.item_id});
        cmds.push_back({"LTRIM", base + ":recent", max, "-1"});
      }
      cmds.push_back({"SADD", base + ":seen", e.item_id});
      if (std::find(users.begin(), users.end(), base) == users.end()) users.push_back(base);
    }
    const std::string ttl = std::to_string(limits.ttl_ms);
    for (const std::string& base : users) {
      cmds.push_back({"PEXPIRE", base + ":recent", ttl});
      cmds.push_back({"PEXPIRE", base + ":seen", ttl});
    }
    RECO_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run("history", cmds));
    return Status::Ok();
  }

  Result<UserHistory> ReadHistory(std::string_view prefix, std::string_view user_id) override {
    const std::string base = std::string(prefix) + std::string(user_id);
    RECO_ASSIGN_OR_RETURN(std::vector<Reply> replies,
                          Run("history", {{"LRANGE", base + ":recent", "0", "-1"},
                                          {"SMEMBERS", base + ":seen"}}));
    UserHistory out;
    for (size_t i = 0; i < replies[0]->elements; ++i) {
      out.recent_positive.push_back(ReplyText(replies[0]->element[i]));
    }
    for (size_t i = 0; i < replies[1]->elements; ++i) {
      out.seen.push_back(ReplyText(replies[1]->element[i]));
    }
    std::sort(out.seen.begin(), out.seen.end());
    return out;
  }

  Status AddCounters(std::string_view name,
                     std::span<const std::pair<std::string, double>> deltas) override {
    if (deltas.empty()) return Status::Ok();
    std::vector<Command> cmds;
    for (const auto& [field, delta] : deltas) {
      cmds.push_back({"HINCRBYFLOAT", std::string(name), field, fmt::format("{}", delta)});
    }
    RECO_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run("counters", cmds));
    return Status::Ok();
  }

  Result<std::vector<std::pair<std::string, double>>> ReadCounters(
      std::string_view name) override {
    RECO_ASSIGN_OR_RETURN(std::vector<Reply> replies,
                          Run("counters", {{"HGETALL", std::string(name)}}));
    std::vector<std::pair<std::string, double>> out;
    const redisReply* r = replies[0].get();
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      out.emplace_back(ReplyText(r->element[i]),
                       std::strtod(ReplyText(r->element[i + 1]).c_str(), nullptr));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  Status AddCountersMany(std::span<const CounterDeltas> updates) override {
    std::vector<Command> cmds;
    for (const CounterDeltas& u : updates) {
      if (u.deltas.empty()) continue;
      for (const auto& [field, delta] : u.deltas) {
        cmds.push_back({"HINCRBYFLOAT", u.name, field, fmt::format("{}", delta)});
      }
      if (u.ttl_ms > 0) cmds.push_back({"PEXPIRE", u.name, std::to_string(u.ttl_ms)});
    }
    if (cmds.empty()) return Status::Ok();
    RECO_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run("counters", cmds));
    return Status::Ok();
  }

  Result<std::vector<CounterFields>> ReadCountersMany(
      std::span<const std::string> names) override {
    std::vector<CounterFields> out;
    if (names.empty()) return out;
    std::vector<Command> cmds;
    cmds.reserve(names.size());
    for (const std::string& name : names) cmds.push_back({"HGETALL", name});
    RECO_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run("counters", cmds));
    out.reserve(names.size());
    for (const Reply& reply : replies) {
      CounterFields& fields = out.emplace_back();
      const redisReply* r = reply.get();
      for (size_t i = 0; i + 1 < r->elements; i += 2) {
        fields.emplace_back(ReplyText(r->element[i]),
                            std::strtod(ReplyText(r->element[i + 1]).c_str(), nullptr));
      }
      std::sort(fields.begin(), fields.end());
    }
    return out;
  }

  Status DeleteCounters(std::string_view name) override {
    RECO_ASSIGN_OR_RETURN(std::vector<Reply> replies,
                          Run("counters", {{"DEL", std::string(name)}}));
    return Status::Ok();
  }

  Result<std::optional<FencingToken>> AcquireLock(std::string_view name, std::string_view holder,
                                                  int64_t ttl_ms) override {
    if (ttl_ms < 1) return InvalidArgument("lock ttl must be >= 1 ms", "ttl_ms");
    RECO_ASSIGN_OR_RETURN(
        std::vector<Reply> replies,
        Run("lock", {{"EVAL", kAcquireScript, "2", std::string(name), std::string(name) + ":fence",
                      std::string(holder), std::to_string(ttl_ms)}}));
    const redisReply* r = replies[0].get();
    if (r->type != REDIS_REPLY_INTEGER) return Internal("Redis lock: unexpected reply");
    if (r->integer < 0) return std::optional<FencingToken>();
    return std::optional<FencingToken>(r->integer);
  }

  Status ReleaseLock(std::string_view name, std::string_view holder) override {
    RECO_ASSIGN_OR_RETURN(
        std::vector<Reply> replies,
        Run("lock", {{"EVAL", kReleaseScript, "1", std::string(name), std::string(holder)}}));
    return Status::Ok();
  }

  Status Publish(std::string_view channel, std::string_view message) override {
    RECO_ASSIGN_OR_RETURN(
        std::vector<Reply> replies,
        Run("publish", {{"PUBLISH", std::string(channel), std::string(message)}}));
    return Status::Ok();
  }

  Result<std::unique_ptr<Subscription>> Subscribe(std::vector<std::string> channels,
                                                  MessageHandler handler,
                                                  SubscribeOptions options) override {
    if (channels.empty()) return InvalidArgument("no channel to subscribe to", "channels");
    return std::unique_ptr<Subscription>(std::make_unique<RedisSubscription>(
        address_, options_, masked_, std::move(channels), std::move(handler),
        std::move(options)));
  }

  // The connection checked at start-up goes into the pool.
  void AddIdle(Context c) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(c));
  }

 private:
  // Runs `cmds` pipelined on one connection. A connection that fails is dropped with every idle
  // one (Redis restarted or went away); the call is tried once more on a fresh connection when
  // the failed one came from the pool. Errors are counted under `op`.
  Result<std::vector<Reply>> Run(std::string_view op, const std::vector<Command>& cmds) {
    bool retry = false;
    Result<std::vector<Reply>> out = RunOnce(cmds, retry);
    if (!out.ok() && retry) out = RunOnce(cmds, retry);
    if (!out.ok() && options_.on_error) options_.on_error(op);
    return out;
  }

  // `retry`: set when the failed connection came from the pool (a fresh one may work).
  Result<std::vector<Reply>> RunOnce(const std::vector<Command>& cmds, bool& retry) {
    retry = false;
    bool pooled = false;
    RECO_ASSIGN_OR_RETURN(Context c, Borrow(pooled));
    for (const Command& cmd : cmds) {
      std::vector<const char*> argv;
      std::vector<size_t> lens;
      for (const std::string& a : cmd) {
        argv.push_back(a.data());
        lens.push_back(a.size());
      }
      redisAppendCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lens.data());
    }
    std::vector<Reply> replies;
    std::string error;
    for (size_t i = 0; i < cmds.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(c.get(), &raw) != REDIS_OK) {
        const std::string why = c->errstr;
        Broken();
        retry = pooled;
        return Unavailable("Redis at " + masked_ + ": " + why);
      }
      Reply r(static_cast<redisReply*>(raw));
      if (r->type == REDIS_REPLY_ERROR && error.empty()) {
        error = cmds[i][0] + ": " + ReplyText(r.get());
      }
      replies.push_back(std::move(r));
    }
    Return(std::move(c));
    if (!error.empty()) return Internal("Redis at " + masked_ + " refused " + error);
    return replies;
  }

  Result<Context> Borrow(bool& pooled) {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        Context c = std::move(idle_.back());
        idle_.pop_back();
        pooled = true;
        return c;
      }
      if (SteadyClock::now() < retry_at_) {
        return Unavailable("Redis at " + masked_ + " is unreachable (" + last_error_ +
                           "); next attempt in under " + std::to_string(backoff_ms_) + " ms");
      }
    }
    Result<Context> c = Connect(address_, options_, masked_);
    std::lock_guard lock(mu_);
    if (!c.ok()) {
      backoff_ms_ = backoff_ms_ == 0 ? 50 : std::min(backoff_ms_ * 2, options_.max_backoff_ms);
      retry_at_ = SteadyClock::now() + std::chrono::milliseconds(backoff_ms_);
      if (last_error_.empty()) {
        spdlog::warn("event=cache_unreachable url={} reason=\"{}\"", masked_,
                     c.status().message());
      }
      last_error_ = c.status().message();
      return c.status();
    }
    if (!last_error_.empty()) spdlog::info("event=cache_reconnected url={}", masked_);
    backoff_ms_ = 0;
    last_error_.clear();
    return c;
  }

  void Return(Context c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
  }

  void Broken() {
    std::lock_guard lock(mu_);
    idle_.clear();
  }

  const RedisAddress address_;
  const RedisCacheOptions options_;
  const std::string masked_;
  std::mutex mu_;
  std::vector<Context> idle_;
  SteadyClock::time_point retry_at_{};
  int backoff_ms_ = 0;
  std::string last_error_;  // "" while reachable
};

}  // namespace

std::string MaskRedisUrl(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  const size_t start = scheme + 3;
  size_t end = out.find('/', start);
  if (end == std::string::npos) end = out.size();
  const size_t at = out.rfind('@', end);
  if (at == std::string::npos || at < start) return out;
  const size_t colon = out.find(':', start);
  if (colon != std::string::npos && colon < at) {
    out.replace(colon + 1, at - colon - 1, "***");
  } else {
    out.replace(start, at - start, "***");  // redis://PASSWORD@host
  }
  return out;
}

Result<std::unique_ptr<Cache>> OpenRedisCache(RedisCacheOptions options) {
  RECO_ASSIGN_OR_RETURN(RedisAddress address, ParseRedisUrl(options.url));
  const std::string masked = MaskRedisUrl(options.url);
  RECO_ASSIGN_OR_RETURN(Context c, Connect(address, options, masked));
  Reply pong = RunOn(c.get(), {"PING"});
  if (pong == nullptr) return Unavailable("cannot reach Redis at " + masked + ": " + c->errstr);
  if (pong->type == REDIS_REPLY_ERROR) {
    return Unavailable("Redis at " + masked + " refused PING: " + ReplyText(pong.get()));
  }
  auto cache = std::make_unique<RedisCache>(std::move(address), std::move(options));
  cache->AddIdle(std::move(c));
  return std::unique_ptr<Cache>(std::move(cache));
}

}  // namespace reco
