#include "cache/memory_cache.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>

namespace reco {

// A queue and a thread that hands its messages to the handler, as a Redis subscription's
// connection thread does.
class MemoryCache::MemorySubscription final : public Subscription {
 public:
  MemorySubscription(MemoryCache& cache, std::vector<std::string> channels, MessageHandler handler,
                     SubscribeOptions options)
      : cache_(cache),
        channels_(std::move(channels)),
        handler_(std::move(handler)),
        options_(std::move(options)) {}

  ~MemorySubscription() override {
    cache_.Unsubscribe(this);
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }

  bool Wants(std::string_view channel) const {
    return std::find(channels_.begin(), channels_.end(), channel) != channels_.end();
  }

  void Push(std::string_view channel, std::string_view message) {
    {
      std::lock_guard lock(mu_);
      queue_.emplace_back(std::string(channel), std::string(message));
    }
    cv_.notify_all();
  }

 private:
  void Loop() {
    if (options_.on_connected) options_.on_connected();
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      auto [channel, message] = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      handler_(channel, message);
      lock.lock();
    }
  }

  MemoryCache& cache_;
  const std::vector<std::string> channels_;
  MessageHandler handler_;
  SubscribeOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

MemoryCache::MemoryCache(const Clock& clock) : clock_(clock) {}

MemoryCache::~MemoryCache() = default;

Status MemoryCache::AppendHistory(std::string_view prefix, std::span<const HistoryEntry> entries,
                                  const HistoryLimits& limits) {
  if (limits.max_recent < 1) return InvalidArgument("max_recent must be >= 1", "max_recent");
  std::lock_guard lock(mu_);
  const TimestampUs now = clock_.NowMicros();
  for (const HistoryEntry& e : entries) {
    const std::string key = std::string(prefix) + e.user_id;
    auto it = histories_.find(key);
    if (it == histories_.end() || it->second.expires <= now) {
      it = histories_.insert_or_assign(key, History{}).first;
    }
    History& h = it->second;
    if (e.positive) {
      std::erase(h.recent, e.item_id);
      h.recent.push_back(e.item_id);
      if (h.recent.size() > static_cast<size_t>(limits.max_recent)) {
        h.recent.erase(h.recent.begin(), h.recent.end() - limits.max_recent);
      }
    }
    h.seen.insert(e.item_id);
    h.expires = now + limits.ttl_ms * 1000;
  }
  return Status::Ok();
}

Result<UserHistory> MemoryCache::ReadHistory(std::string_view prefix, std::string_view user_id) {
  std::lock_guard lock(mu_);
  UserHistory out;
  auto it = histories_.find(std::string(prefix) + std::string(user_id));
  if (it == histories_.end() || it->second.expires <= clock_.NowMicros()) return out;
  out.recent_positive = it->second.recent;
  out.seen.assign(it->second.seen.begin(), it->second.seen.end());
  return out;
}

Status MemoryCache::AddCounters(std::string_view name,
                                std::span<const std::pair<std::string, double>> deltas) {
  std::lock_guard lock(mu_);
  ExpireCountersLocked(name);
  auto& hash = counters_[std::string(name)];
  for (const auto& [field, delta] : deltas) hash[field] += delta;
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, double>>> MemoryCache::ReadCounters(
    std::string_view name) {
  std::lock_guard lock(mu_);
  ExpireCountersLocked(name);
  std::vector<std::pair<std::string, double>> out;
  if (auto it = counters_.find(name); it != counters_.end()) {
    out.assign(it->second.begin(), it->second.end());
  }
  return out;
}

Status MemoryCache::DeleteCounters(std::string_view name) {
  std::lock_guard lock(mu_);
  if (auto it = counters_.find(name); it != counters_.end()) counters_.erase(it);
  if (auto it = counter_expiry_.find(name); it != counter_expiry_.end()) counter_expiry_.erase(it);
  return Status::Ok();
}

void MemoryCache::ExpireCountersLocked(std::string_view name) {
  auto it = counter_expiry_.find(name);
  if (it == counter_expiry_.end() || it->second > clock_.NowMicros()) return;
  if (auto c = counters_.find(name); c != counters_.end()) counters_.erase(c);
  counter_expiry_.erase(it);
}

Status MemoryCache::AddCountersMany(std::span<const CounterDeltas> updates) {
  for (const CounterDeltas& u : updates) {
    if (u.deltas.empty()) continue;
    RECO_RETURN_IF_ERROR(AddCounters(u.name, u.deltas));
    if (u.ttl_ms <= 0) continue;
    std::lock_guard lock(mu_);
    counter_expiry_[u.name] = clock_.NowMicros() + u.ttl_ms * 1000;
  }
  return Status::Ok();
}

Result<std::vector<CounterFields>> MemoryCache::ReadCountersMany(
    std::span<const std::string> names) {
  std::vector<CounterFields> out;
  out.reserve(names.size());
  for (const std::string& name : names) {
    RECO_ASSIGN_OR_RETURN(CounterFields fields, ReadCounters(name));
    out.push_back(std::move(fields));
  }
  return out;
}

Result<std::optional<FencingToken>> MemoryCache::AcquireLock(std::string_view name,
                                                             std::string_view holder,
                                                             int64_t ttl_ms) {
  if (ttl_ms < 1) return InvalidArgument("lock ttl must be >= 1 ms", "ttl_ms");
  std::lock_guard lock(mu_);
  const TimestampUs now = clock_.NowMicros();
  auto it = locks_.find(name);
  if (it != locks_.end() && it->second.expires > now) {
    if (it->second.holder != holder) return std::optional<FencingToken>();
    it->second.expires = now + ttl_ms * 1000;
    return std::optional<FencingToken>(it->second.token);
  }
  const FencingToken token = ++fences_[std::string(name)];
  locks_.insert_or_assign(std::string(name),
                          Lock{std::string(holder), token, now + ttl_ms * 1000});
  return std::optional<FencingToken>(token);
}

Status MemoryCache::ReleaseLock(std::string_view name, std::string_view holder) {
  std::lock_guard lock(mu_);
  auto it = locks_.find(name);
  if (it != locks_.end() && it->second.holder == holder) locks_.erase(it);
  return Status::Ok();
}

Status MemoryCache::Publish(std::string_view channel, std::string_view message) {
  std::lock_guard lock(mu_);
  for (MemorySubscription* s : subscriptions_) {
    if (s->Wants(channel)) s->Push(channel, message);
  }
  return Status::Ok();
}

Result<std::unique_ptr<Subscription>> MemoryCache::Subscribe(std::vector<std::string> channels,
                                                             MessageHandler handler,
                                                             SubscribeOptions options) {
  if (channels.empty()) return InvalidArgument("no channel to subscribe to", "channels");
  auto subscription = std::make_unique<MemorySubscription>(*this, std::move(channels),
                                                           std::move(handler), std::move(options));
  {
    std::lock_guard lock(mu_);
    subscriptions_.push_back(subscription.get());
  }
  subscription->Start();
  return std::unique_ptr<Subscription>(std::move(subscription));
}

void MemoryCache::Unsubscribe(MemorySubscription* subscription) {
  std::lock_guard lock(mu_);
  std::erase(subscriptions_, subscription);
}

}  // namespace reco
