#include "serving/shared_window_counters.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace reco {
namespace {

// Buckets whose end is this recent (or later) are read back at every sync: the other replicas
// may still be sending deltas of them (they send every sync interval).
constexpr int64_t kMinGraceUs = 2 * kMicrosPerSecond;

using Fields = std::unordered_map<std::string, double>;

void Merge(Fields& into, const Fields& from) {
  for (const auto& [key, v] : from) into[key] += v;
}

std::vector<std::pair<std::string, double>> ToVector(const Fields& fields) {
  std::vector<std::pair<std::string, double>> out(fields.begin(), fields.end());
  std::sort(out.begin(), out.end());
  return out;
}

// Waits `interval_ms` or until stopped; false when stopped.
bool WaitInterval(std::mutex& mu, std::condition_variable& cv, const bool& stop,
                  int64_t interval_ms) {
  std::unique_lock lock(mu);
  cv.wait_for(lock, std::chrono::milliseconds(interval_ms), [&] { return stop; });
  return !stop;
}

}  // namespace

// ---------------------------------------------------------------- SharedWindowCounters

SharedWindowCounters::SharedWindowCounters(WindowCountersOptions options, Cache& cache,
                                           const Clock& clock, SharedCountersOptions shared)
    : options_(std::move(options)),
      cache_(cache),
      clock_(clock),
      shared_(std::move(shared)),
      local_(NewMemoryWindowCounters(options_)) {
  for (const WindowSpec& w : options_.windows) {
    bucket_us_.push_back(w.bucket_s * kMicrosPerSecond);
    // A hash is read while its bucket is in the window; a minute more covers clock skew.
    ttl_ms_.push_back((w.length_s + w.bucket_s + 60) * 1000);
  }
  if (shared_.sync_interval_ms > 0) thread_ = std::thread([this] { Run(); });
}

SharedWindowCounters::~SharedWindowCounters() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t SharedWindowCounters::BucketOf(TimestampUs ts, size_t window) const {
  const int64_t b = bucket_us_[window];
  int64_t q = ts / b;
  if (ts % b != 0 && ts < 0) --q;
  return q;
}

std::string SharedWindowCounters::HashName(const BucketKey& b) const {
  return shared_.prefix + options_.series[b.series].name + ":" + options_.windows[b.window].name +
         ":" + std::to_string(b.bucket);
}

void SharedWindowCounters::Add(size_t series, std::span<const std::string_view> keys,
                               double weight, TimestampUs ts) {
  if (keys.empty()) return;
  local_->Add(series, keys, weight, ts);
  std::lock_guard lock(mu_);
  for (size_t w = 0; w < bucket_us_.size(); ++w) {
    Fields& fields = pending_[BucketKey{series, w, BucketOf(ts, w)}];
    for (std::string_view key : keys) {
      auto it = fields.find(std::string(key));
      if (it == fields.end()) {
        fields.emplace(std::string(key), weight);
      } else {
        it->second += weight;
      }
    }
  }
}

template <typename Fn>
void SharedWindowCounters::ForEachSource(size_t series, size_t window, TimestampUs now,
                                         Fn&& fn) const {
  const int64_t last = BucketOf(now, window);
  const int64_t first = last - options_.windows[window].buckets() + 1;
  for (const std::map<BucketKey, Fields>* source : {&read_, &inflight_, &pending_}) {
    auto it = source->lower_bound(BucketKey{series, window, first});
    const auto end = source->upper_bound(BucketKey{series, window, last});
    for (; it != end; ++it) fn(it->second);
  }
}

void SharedWindowCounters::Values(size_t series, int window, TimestampUs now,
                                  std::vector<KeyValue>& out) const {
  {
    std::unique_lock lock(mu_);
    if (window != kDecayWindow && healthy_) {
      Fields sum;
      ForEachSource(series, static_cast<size_t>(window), now,
                    [&](const Fields& fields) { Merge(sum, fields); });
      lock.unlock();
      out.clear();
      for (auto& [key, v] : sum) {
        if (v != 0) out.push_back({key, v});
      }
      return;
    }
  }
  local_->Values(series, window, now, out);
}

double SharedWindowCounters::Value(size_t series, std::string_view key, int window,
                                   TimestampUs now) const {
  {
    std::lock_guard lock(mu_);
    if (window != kDecayWindow && healthy_) {
      const std::string k(key);
      double total = 0;
      ForEachSource(series, static_cast<size_t>(window), now, [&](const Fields& fields) {
        if (auto it = fields.find(k); it != fields.end()) total += it->second;
      });
      return total;
    }
  }
  return local_->Value(series, key, window, now);
}

WindowCounterStats SharedWindowCounters::stats() const { return local_->stats(); }

bool SharedWindowCounters::shared_view() const {
  std::lock_guard lock(mu_);
  return healthy_;
}

Status SharedWindowCounters::Sync() {
  std::lock_guard sync_lock(sync_mu_);
  const TimestampUs now = clock_.NowMicros();
  auto first_of = [&](size_t w) { return BucketOf(now, w) - options_.windows[w].buckets() + 1; };

  // 1. The deltas not sent yet: sent as they are, and counted as sent ("in flight") meanwhile.
  std::map<BucketKey, Fields> sending;
  {
    std::lock_guard lock(mu_);
    sending.swap(pending_);
  }
  std::erase_if(sending, [&](const auto& e) { return e.first.bucket < first_of(e.first.window); });
  std::vector<CounterDeltas> updates;
  updates.reserve(sending.size());
  for (const auto& [b, fields] : sending) {
    updates.push_back({HashName(b), ToVector(fields), ttl_ms_[b.window]});
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [b, fields] : sending) Merge(inflight_[b], fields);
  }
  Status sent = updates.empty() ? Status::Ok() : cache_.AddCountersMany(updates);
  if (!sent.ok()) {
    // Not applied (or not known to be): they wait for the next sync.
    std::lock_guard lock(mu_);
    for (const auto& [b, fields] : sending) {
      Fields& f = inflight_[b];
      for (const auto& [key, v] : fields) {
        if ((f[key] -= v) == 0) f.erase(key);
      }
      if (f.empty()) inflight_.erase(b);
      Merge(pending_[b], fields);
    }
    healthy_ = false;
    complete_ = false;
    return sent;
  }

  // 2. The buckets to read back: every bucket of every window until one sync has read them all,
  // then the recent ones and those with deltas in flight.
  std::vector<BucketKey> keys;
  {
    std::lock_guard lock(mu_);
    for (auto* source : {&read_, &inflight_}) {
      std::erase_if(*source,
                    [&](const auto& e) { return e.first.bucket < first_of(e.first.window); });
    }
    const int64_t grace_us = std::max(kMinGraceUs, 5 * shared_.sync_interval_ms * 1000);
    for (size_t s = 0; s < options_.series.size(); ++s) {
      for (size_t w = 0; w < bucket_us_.size(); ++w) {
        const int64_t last = BucketOf(now, w);
        const int64_t from = complete_ ? std::max(first_of(w), BucketOf(now - grace_us, w))
                                       : first_of(w);
        for (int64_t b = from; b <= last; ++b) keys.push_back({s, w, b});
      }
    }
    for (const auto& [b, fields] : inflight_) keys.push_back(b);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::vector<std::string> names;
  names.reserve(keys.size());
  for (const BucketKey& b : keys) names.push_back(HashName(b));
  Result<std::vector<CounterFields>> read = cache_.ReadCountersMany(names);
  std::lock_guard lock(mu_);
  if (!read.ok()) {
    healthy_ = false;
    complete_ = false;
    return read.status();
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    // What was in flight for this bucket is in what was just read.
    inflight_.erase(keys[i]);
    const CounterFields& fields = (*read)[i];
    if (fields.empty()) {
      read_.erase(keys[i]);
      continue;
    }
    Fields& into = read_[keys[i]];
    into.clear();
    for (const auto& [key, v] : fields) into.emplace(key, v);
  }
  healthy_ = true;
  complete_ = true;
  return Status::Ok();
}

void SharedWindowCounters::Run() {
  bool failing = false;
  while (WaitInterval(stop_mu_, stop_cv_, stop_, shared_.sync_interval_ms)) {
    Status st = Sync();
    if (!st.ok() && !failing) {
      spdlog::warn("event=realtime_sync_failed prefix={} reason=\"{}\"", shared_.prefix,
                   st.ToString());
    } else if (st.ok() && failing) {
      spdlog::info("event=realtime_sync_restored prefix={}", shared_.prefix);
    }
    failing = !st.ok();
  }
}

std::unique_ptr<WindowCounters> NewSharedWindowCounters(WindowCountersOptions options,
                                                        Cache& cache, const Clock& clock,
                                                        SharedCountersOptions shared) {
  auto counters = std::make_unique<SharedWindowCounters>(std::move(options), cache, clock,
                                                         std::move(shared));
  // A starting replica reads the counts so far before it serves.
  if (Status st = counters->Sync(); !st.ok()) {
    spdlog::warn("event=realtime_sync_failed reason=\"{}\"", st.ToString());
  }
  return counters;
}

// ---------------------------------------------------------------- SharedCounts

SharedCounts::SharedCounts(Cache& cache, SharedCountersOptions shared, int64_t ttl_ms)
    : cache_(cache), shared_(std::move(shared)), ttl_ms_(ttl_ms) {
  if (shared_.sync_interval_ms > 0) thread_ = std::thread([this] { Run(); });
}

SharedCounts::~SharedCounts() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SharedCounts::Add(std::string_view field, double delta) {
  std::lock_guard lock(mu_);
  pending_[std::string(field)] += delta;
}

double SharedCounts::Get(std::string_view field) const {
  const std::string key(field);
  std::lock_guard lock(mu_);
  double total = 0;
  for (const Fields* source : {&read_, &inflight_, &pending_}) {
    if (auto it = source->find(key); it != source->end()) total += it->second;
  }
  return total;
}

Status SharedCounts::Sync() {
  std::lock_guard sync_lock(sync_mu_);
  Fields sending;
  {
    std::lock_guard lock(mu_);
    sending.swap(pending_);
    Merge(inflight_, sending);
  }
  if (!sending.empty()) {
    const CounterDeltas update{shared_.prefix, ToVector(sending), ttl_ms_};
    if (Status st = cache_.AddCountersMany(std::span(&update, 1)); !st.ok()) {
      std::lock_guard lock(mu_);
      for (const auto& [key, v] : sending) {
        if ((inflight_[key] -= v) == 0) inflight_.erase(key);
      }
      Merge(pending_, sending);
      return st;
    }
  }
  Result<CounterFields> read = cache_.ReadCounters(shared_.prefix);
  if (!read.ok()) return read.status();
  std::lock_guard lock(mu_);
  inflight_.clear();
  read_.clear();
  for (const auto& [key, v] : *read) read_.emplace(key, v);
  return Status::Ok();
}

void SharedCounts::Run() {
  bool failing = false;
  while (WaitInterval(stop_mu_, stop_cv_, stop_, shared_.sync_interval_ms)) {
    Status st = Sync();
    if (!st.ok() && !failing) {
      spdlog::warn("event=shared_counts_sync_failed name={} reason=\"{}\"", shared_.prefix,
                   st.ToString());
    } else if (st.ok() && failing) {
      spdlog::info("event=shared_counts_sync_restored name={}", shared_.prefix);
    }
    failing = !st.ok();
  }
}

}  // namespace reco
