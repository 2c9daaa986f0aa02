// AnalyticsService: what a tenant's recommendations did, from its exposure log (every list
// served, serving/exposure_log.h) joined with its store's feedback — summaries grouped by
// scenario, model version, variant, experiment or day; the top items; the catalogue coverage.
// docs/analytics.md defines every figure.
//
// One store is one tenant: a tenant's server builds one AnalyticsService on its own Store and
// exposure log. Each call streams the log files one line at a time, skipping the files last
// written before the window and stopping past its end, and scans the store's feedback once
// (cost: docs/analytics.md#cost); nothing is cached between calls.
//
// Thread-safety: every method is safe from any thread (calls share nothing but the store).
// Lifetime: borrows the Store and Clock, which must outlive it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace reco::service {

struct AnalyticsServiceOptions {
  // The live exposure log (DATA_DIR/evaluation/exposure_log.jsonl); its rotated siblings are read
  // too.
  std::filesystem::path exposure_log;
  // Called before the log is read: writes what the server has buffered (ExposureLog::Flush), so
  // that a list served before the call is counted. None when empty.
  std::function<void()> flush_log;
  // The default click types (the tenant's positive feedback types).
  std::vector<std::string> click_types = {"like", "star", "purchase", "click", "positive"};
  // A click or conversion counts for a list when it falls in [ts, ts + click_window].
  TimestampUs click_window_us = 24LL * 3600 * kMicrosPerSecond;
  TimestampUs default_window_us = 7LL * 86400 * kMicrosPerSecond;  // when `from` is absent
  // Lines are written up to this long after their time (the log's buffering): a file last
  // written this long before the window is skipped, a line this long past its end stops the
  // read.
  TimestampUs log_skew_us = 300LL * kMicrosPerSecond;
};

// What every request names: the window and the feedback types, as the client wrote them (the
// service checks them, naming the field).
struct AnalyticsRange {
  std::string from;  // RFC 3339 or a date (its start); "" = to - 7 days
  std::string to;    // RFC 3339 (exclusive) or a date (inclusive: up to its end); "" = now
  std::vector<std::string> click_types;       // empty = the tenant's positive types
  std::vector<std::string> conversion_types;  // empty = none
  std::string scenario;                       // only lists of this scenario; "" = all
};

// The window and types a request was answered with, and what was read.
struct AnalyticsBasis {
  TimestampUs from = 0;  // inclusive
  TimestampUs to = 0;    // exclusive
  std::vector<std::string> click_types;
  std::vector<std::string> conversion_types;
  TimestampUs click_window_us = 0;
  int64_t files = 0;          // log files read (live and rotated)
  int64_t skipped_files = 0;  // last written before the window: not opened
  int64_t lines = 0;          // lines read
  int64_t bad_lines = 0;      // skipped: not valid exposure lines (e.g. cut by a crash)
};

// Counts of one group of exposures (docs/analytics.md).
struct AnalyticsCounts {
  int64_t exposures = 0;      // lists served
  int64_t exposed_users = 0;  // distinct users served
  int64_t impressions = 0;    // items shown (sum of the lists' lengths)
  int64_t clicks = 0;         // lists with a click on one of their items within the window
  int64_t clicked_items = 0;  // (list, item) pairs clicked within the window
  int64_t conversions = 0;    // lists with a conversion on one of their items within the window
  double ctr() const;         // clicks / exposures (0 without exposures)
  double item_ctr() const;    // clicked_items / impressions (0 without impressions)
};

inline constexpr std::string_view kAnalyticsDimensions =
    "scenario, model_version, variant, experiment, day";

// One row of a summary: the group's values, in the order of group_by ("experiment" gives two:
// the experiment id and its variant; "" for lists in no experiment), and its counts.
struct AnalyticsRow {
  std::vector<std::string> values;
  AnalyticsCounts counts;
};

struct AnalyticsSummary {
  AnalyticsBasis basis;
  std::vector<std::string> columns;  // the names of `values`: group_by, experiment_variant added
  std::vector<AnalyticsRow> rows;    // ordered by values
  AnalyticsCounts totals;            // every list of the window once
};

struct TopItem {
  std::string item_id;
  int64_t exposures = 0;  // lists that showed it
  int64_t clicks = 0;     // of those, the lists where it was clicked within the window
  double ctr = 0;         // clicks / exposures
};

struct TopItems {
  AnalyticsBasis basis;
  std::string by;  // "exposures" | "clicks" | "ctr"
  std::vector<TopItem> items;
};

struct Coverage {
  AnalyticsBasis basis;
  int64_t catalogue_items = 0;          // items not hidden
  int64_t exposed_items = 0;            // distinct items shown in the window
  int64_t exposed_catalogue_items = 0;  // of those, items of the catalogue (not hidden)
  double coverage = 0;                  // exposed_catalogue_items / catalogue_items
  int64_t impressions = 0;
  double gini = 0;        // of impressions over catalogue ∪ exposed items (0 equal, → 1 one)
  int64_t top_items = 0;  // ceil(1 % of catalogue ∪ exposed items), at least 1
  double top_share = 0;   // the share of impressions of the `top_items` most shown
};

class AnalyticsService {
 public:
  AnalyticsService(Store& store, const Clock& clock, AnalyticsServiceOptions options);

  // `group_by`: dimension names of kAnalyticsDimensions, each at most once (none: one row of
  // totals). InvalidArgument naming "group_by", "from", "to" otherwise.
  Result<AnalyticsSummary> Summary(const std::vector<std::string>& group_by,
                                   const AnalyticsRange& range);
  // The `n` (1..1000) items most shown, most clicked or of the highest CTR (ties: more exposures,
  // then the item id). InvalidArgument naming "by", "n", "from", "to".
  Result<TopItems> Top(std::string_view by, int n, const AnalyticsRange& range);
  Result<Coverage> CatalogueCoverage(const AnalyticsRange& range);

  // The Gini index of `counts` (any order): 0 when all are equal, (n-1)/n when one holds all.
  static double Gini(std::vector<int64_t> counts);

 private:
  struct Pass;
  Result<AnalyticsBasis> Resolve(const AnalyticsRange& range) const;

  Store& store_;
  const Clock& clock_;
  AnalyticsServiceOptions options_;
};

}  // namespace reco::service
