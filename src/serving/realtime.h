// Realtime: what the stream jobs of a classic stack computed, in process and updated by each
// event — item hot scores over sliding windows and with exponential time decay, and exposures,
// clicks and CTR per item, per model version and per scenario over the same windows
// (docs/realtime.md).
//
// Events: FeedbackService hands it every feedback batch the store accepted (OnFeedback); the
// Rollout hands it every list it logs as served (OnExposure; shadow lists are not served and not
// counted). An exposure counts one impression per item of the list. A feedback row of a click
// type is credited to the newest exposure of that item to that user within the longest window
// (at most one click per item of an exposure): it counts a click for the item, the exposure's
// model version and its scenario, so that every CTR is clicks / impressions <= 1. A row of a hot
// type counts 1 in the hot score of its item (and in the leaderboards whose types include it).
// Time is the injected clock's at the moment of the event (processing time), not the row's
// timestamp.
//
// Thread-safety: every method is safe to call concurrently (the counters are sharded; the
// click join is sharded by user). Lifetime: borrows the Clock, which must outlive it; the
// counters are its own.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/durations.h"
#include "core/status.h"
#include "core/time.h"
#include "serving/online_state.h"  // StringHash
#include "serving/window_counters.h"
#include "store/types.h"

namespace reco {

// A named list of the items of the highest score in one window (or "decay"), counting the
// feedback of `feedback_types` (empty: the hot types).
struct LeaderboardSpec {
  std::string name;
  std::string window;
  std::vector<std::string> feedback_types;
};

struct RealtimeOptions {
  std::vector<WindowSpec> windows;            // at least one; named by their length ("1h")
  int64_t half_life_s = 3600;                 // of the decayed hot score (window "decay")
  std::vector<std::string> hot_types;         // feedback types counted by the hot scores
  std::vector<std::string> click_types;       // feedback types counted as clicks on exposures
  std::vector<LeaderboardSpec> leaderboards;  // names unique
  size_t max_keys = 1'000'000;                // per counter series (WindowCounters)
  size_t max_users = 20000;                   // users whose recent exposures are remembered
  size_t exposures_per_user = 10;             // ... the newest this many each
};

// The storage of the counters: the in-process one by default; a shared one plugs in here.
using WindowCountersFactory =
    std::function<std::unique_ptr<WindowCounters>(WindowCountersOptions)>;

enum class RealtimeDimension { kItem, kModelVersion, kScenario };
// "item", "model_version", "scenario"; InvalidArgument naming `by` for anything else.
Result<RealtimeDimension> ParseRealtimeDimension(std::string_view text);
std::string_view RealtimeDimensionName(RealtimeDimension by);

struct RealtimeRow {
  std::string key;  // item id, model version ("" = no model loaded) or scenario
  double impressions = 0;  // items shown (an exposed list of n items counts n)
  double clicks = 0;       // clicks credited to those impressions
  double ctr() const { return impressions > 0 ? clicks / impressions : 0; }
};

// GET /api/v1/analytics/realtime.
struct RealtimeReport {
  std::string window;        // a window's name or "decay"
  TimestampUs now = 0;
  TimestampUs from = 0;      // start of the window's oldest bucket (0 for "decay")
  int64_t bucket_s = 0;      // 0 for "decay"
  int64_t half_life_s = 0;   // "decay" only
  RealtimeDimension by = RealtimeDimension::kItem;
  RealtimeRow totals;        // over every key, not only the rows returned
  size_t keys = 0;           // keys with impressions or clicks in the window
  std::vector<RealtimeRow> rows;  // the first n by impressions, then clicks, then key
};

class Realtime {
 public:
  // InvalidArgument naming the option when a leaderboard names an unknown window or repeats a
  // name, or no window is given.
  static Result<std::unique_ptr<Realtime>> Create(RealtimeOptions options, const Clock& clock,
                                                  WindowCountersFactory factory = {});
  ~Realtime();

  // ---- events
  void OnFeedback(std::span<const Feedback> rows);
  void OnExposure(std::string_view user_id, std::string_view model_version,
                  std::string_view scenario, std::span<const std::string_view> items);

  // ---- reads
  // The window `name` names: an index into windows(), or kDecayWindow for "decay";
  // InvalidArgument naming `window` otherwise (the message lists the names).
  Result<int> FindWindow(std::string_view name) const;
  // The items of the hot score in `window`, highest first (ties by item id).
  std::vector<KeyValue> Hot(int window) const;
  // A leaderboard's items, highest first; NotFound for an unknown name.
  Result<std::vector<KeyValue>> Leaderboard(std::string_view name) const;
  bool HasLeaderboard(std::string_view name) const;
  // Exposures, clicks and CTR by `by` over the window `window` names (InvalidArgument naming
  // `window` when unknown); at most `n` rows.
  Result<RealtimeReport> Report(std::string_view window, RealtimeDimension by, size_t n) const;

  const RealtimeOptions& options() const { return options_; }
  TimestampUs Now() const { return clock_.NowMicros(); }
  WindowCounterStats stats() const { return counters_->stats(); }

 private:
  Realtime(RealtimeOptions options, const Clock& clock);
  class Joiner;
  struct Board {
    std::string name;
    int window = 0;
    size_t series = 0;
  };
  // The series counting `types` (a hot series shared by every list of the same types).
  size_t HotSeries(std::vector<std::string> types, std::vector<CounterSeriesSpec>& specs);
  std::vector<KeyValue> Ranked(size_t series, int window) const;

  RealtimeOptions options_;
  const Clock& clock_;
  std::unique_ptr<WindowCounters> counters_;
  std::unique_ptr<Joiner> joiner_;
  size_t hot_series_ = 0;  // the default hot types'
  std::vector<std::pair<std::string, size_t>> hot_by_types_;  // sorted types joined -> series
  std::unordered_map<std::string, std::vector<size_t>, StringHash, std::equal_to<>> by_type_;
  std::unordered_map<std::string, bool, StringHash, std::equal_to<>> click_types_;
  std::vector<Board> boards_;
};

}  // namespace reco
