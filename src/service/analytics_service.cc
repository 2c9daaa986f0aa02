#include "service/analytics_service.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "store/exposure_line.h"

namespace reco::service {
namespace {

namespace fs = std::filesystem;
constexpr TimestampUs kDay = 86400LL * kMicrosPerSecond;
constexpr int kDefaultTopN = 10;
constexpr int kMaxTopN = 1000;

// The last write of `file` (0 when unknown: then the file is read).
TimestampUs LastWrite(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 0;
  return static_cast<TimestampUs>(st.st_mtim.tv_sec) * kMicrosPerSecond + st.st_mtim.tv_nsec / 1000;
}

Result<TimestampUs> ParseBound(std::string_view text, std::string_view field, bool end) {
  Result<TimestampUs> t = ParseTimestamp(text);
  if (!t.ok()) {
    return InvalidArgument(std::string(field) + ": \"" + std::string(text) +
                               "\" is not an RFC 3339 time or a date (YYYY-MM-DD)",
                           std::string(field));
  }
  // A date as `to` names the whole day.
  if (end && text.size() == 10) return AddClamped(*t, kDay);
  return *t;
}

Status CheckTypes(const std::vector<std::string>& types, std::string_view field) {
  for (const std::string& t : types) {
    if (t.empty()) {
      return InvalidArgument(std::string(field) + ": a feedback type must not be empty",
                             std::string(field));
    }
  }
  return Status::Ok();
}

// A feedback of an exposed user that counts as a click or a conversion.
struct Outcome {
  TimestampUs ts = 0;
  std::string item_id;
  bool click = false;
  bool conversion = false;
};

enum class Dimension { kScenario, kModelVersion, kVariant, kExperiment, kDay };

Result<std::vector<Dimension>> ParseDimensions(const std::vector<std::string>& names) {
  static const std::map<std::string, Dimension, std::less<>> kByName = {
      {"scenario", Dimension::kScenario},
      {"model_version", Dimension::kModelVersion},
      {"variant", Dimension::kVariant},
      {"experiment", Dimension::kExperiment},
      {"day", Dimension::kDay}};
  std::vector<Dimension> out;
  for (const std::string& name : names) {
    auto it = kByName.find(name);
    if (it == kByName.end()) {
      return InvalidArgument("group_by: unknown dimension \"" + name + "\" (one or more of " +
                                 std::string(kAnalyticsDimensions) + ")",
                             "group_by");
    }
    if (std::find(out.begin(), out.end(), it->second) != out.end()) {
      return InvalidArgument("group_by: \"" + name + "\" is named twice", "group_by");
    }
    out.push_back(it->second);
  }
  return out;
}

// The counts of a group while the log is read: its users as a set.
struct GroupAgg {
  AnalyticsCounts counts;
  std::unordered_set<std::string> users;

  void Add(const std::string& user, const std::vector<std::string>& items,
           const std::vector<bool>& clicked, bool converted) {
    ++counts.exposures;
    counts.impressions += static_cast<int64_t>(items.size());
    const auto n_clicked = std::count(clicked.begin(), clicked.end(), true);
    counts.clicked_items += n_clicked;
    counts.clicks += n_clicked > 0 ? 1 : 0;
    counts.conversions += converted ? 1 : 0;
    users.insert(user);
  }
  AnalyticsCounts Done() const {
    AnalyticsCounts c = counts;
    c.exposed_users = static_cast<int64_t>(users.size());
    return c;
  }
};

double Ratio(int64_t num, int64_t den) {
  return den > 0 ? static_cast<double>(num) / static_cast<double>(den) : 0;
}

}  // namespace

double AnalyticsCounts::ctr() const { return Ratio(clicks, exposures); }
double AnalyticsCounts::item_ctr() const { return Ratio(clicked_items, impressions); }

// One read of the window: the exposures, each with what of it was clicked or converted.
struct AnalyticsService::Pass {
  using ExposureFn =
      std::function<void(const ExposureLine&, const std::vector<bool>& clicked, bool converted)>;

  AnalyticsService& s;
  AnalyticsBasis& basis;
  std::string scenario;
  std::unordered_map<std::string, std::vector<Outcome>> outcomes;  // by user, sorted by time

  // Calls `fn` with each valid line of the window (and the scenario), in file order.
  Status ReadWindow(bool count, const std::function<void(ExposureLine&&)>& fn) {
    std::vector<fs::path> files;
    for (const fs::path& file : ExposureLogFiles(s.options_.exposure_log)) {
      const TimestampUs written = LastWrite(file);
      if (written != 0 && written < basis.from - s.options_.log_skew_us) {
        if (count) ++basis.skipped_files;
        continue;
      }
      files.push_back(file);
    }
    if (count) basis.files = static_cast<int64_t>(files.size());
    const TimestampUs stop = AddClamped(basis.to, s.options_.log_skew_us);
    return ForEachExposureLine(
        files,
        [&](std::string_view line) {
          if (count) ++basis.lines;
          Result<ExposureLine> e = ParseExposureLine(line);
          if (!e.ok()) {
            if (count) ++basis.bad_lines;
            return true;
          }
          // Files are in time order (to within the log's buffering): past the end, nothing more.
          if (e->ts >= stop) return false;
          if (e->ts < basis.from || e->ts >= basis.to) return true;
          if (!scenario.empty() && e->scenario != scenario) return true;
          fn(std::move(e).value());
          return true;
        },
        AddClamped(basis.from, -s.options_.log_skew_us));
  }

  // The click and conversion feedback of the window's users, from the window's start to its
  // end plus the click window.
  Status LoadOutcomes() {
    std::unordered_set<std::string> users;
    RECO_RETURN_IF_ERROR(
        ReadWindow(/*count=*/false, [&](ExposureLine&& e) { users.insert(std::move(e.user_id)); }));
    if (users.empty()) return Status::Ok();
    const std::unordered_set<std::string> clicks(basis.click_types.begin(),
                                                 basis.click_types.end());
    const std::unordered_set<std::string> conversions(basis.conversion_types.begin(),
                                                      basis.conversion_types.end());
    const TimestampUs last = AddClamped(basis.to, basis.click_window_us);
    RECO_RETURN_IF_ERROR(s.store_.ScanFeedback(0, [&](const FeedbackRecord& r) {
      const Feedback& f = r.feedback;
      if (f.timestamp < basis.from || f.timestamp > last) return;
      const bool click = clicks.count(f.feedback_type) > 0;
      const bool conversion = conversions.count(f.feedback_type) > 0;
      if (!click && !conversion) return;
      auto user = users.find(f.user_id);
      if (user == users.end()) return;
      outcomes[*user].push_back({f.timestamp, f.item_id, click, conversion});
    }));
    for (auto& [user, list] : outcomes) {
      std::sort(list.begin(), list.end(),
                [](const Outcome& a, const Outcome& b) { return a.ts < b.ts; });
    }
    return Status::Ok();
  }

  // Reads the window; `fn` gets each list with its clicked items and whether it converted.
  Status Run(bool with_outcomes, const ExposureFn& fn) {
    if (with_outcomes) RECO_RETURN_IF_ERROR(LoadOutcomes());
    std::vector<bool> clicked;
    std::vector<std::string_view> clicked_ids, converted_ids;
    return ReadWindow(/*count=*/true, [&](ExposureLine&& e) {
      clicked.assign(e.items.size(), false);
      bool converted = false;
      auto it = outcomes.find(e.user_id);
      if (it != outcomes.end()) {
        clicked_ids.clear();
        converted_ids.clear();
        const std::vector<Outcome>& list = it->second;
        const TimestampUs end = AddClamped(e.ts, basis.click_window_us);
        auto o = std::lower_bound(list.begin(), list.end(), e.ts,
                                  [](const Outcome& x, TimestampUs t) { return x.ts < t; });
        for (; o != list.end() && o->ts <= end; ++o) {
          if (o->click) clicked_ids.push_back(o->item_id);
          if (o->conversion) converted_ids.push_back(o->item_id);
        }
        for (size_t i = 0; i < e.items.size(); ++i) {
          const std::string& item = e.items[i];
          clicked[i] = std::find(clicked_ids.begin(), clicked_ids.end(), item) != clicked_ids.end();
          converted = converted || std::find(converted_ids.begin(), converted_ids.end(), item) !=
                                       converted_ids.end();
        }
      }
      fn(e, clicked, converted);
    });
  }
};

AnalyticsService::AnalyticsService(Store& store, const Clock& clock,
                                   AnalyticsServiceOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<AnalyticsBasis> AnalyticsService::Resolve(const AnalyticsRange& range) const {
  AnalyticsBasis b;
  if (range.to.empty()) {
    b.to = clock_.NowMicros();
  } else {
    RECO_ASSIGN_OR_RETURN(b.to, ParseBound(range.to, "to", /*end=*/true));
  }
  if (range.from.empty()) {
    b.from = AddClamped(b.to, -options_.default_window_us);
  } else {
    RECO_ASSIGN_OR_RETURN(b.from, ParseBound(range.from, "from", /*end=*/false));
  }
  if (b.from >= b.to) {
    return InvalidArgument(
        "from: " + FormatTimestamp(b.from) + " is not before to (" + FormatTimestamp(b.to) + ")",
        "from");
  }
  RECO_RETURN_IF_ERROR(CheckTypes(range.click_types, "click_types"));
  RECO_RETURN_IF_ERROR(CheckTypes(range.conversion_types, "conversion_types"));
  b.click_types = range.click_types.empty() ? options_.click_types : range.click_types;
  b.conversion_types = range.conversion_types;
  b.click_window_us = options_.click_window_us;
  return b;
}

Result<AnalyticsSummary> AnalyticsService::Summary(const std::vector<std::string>& group_by,
                                                   const AnalyticsRange& range) {
  RECO_ASSIGN_OR_RETURN(std::vector<Dimension> dims, ParseDimensions(group_by));
  AnalyticsSummary out;
  RECO_ASSIGN_OR_RETURN(out.basis, Resolve(range));
  for (size_t i = 0; i < dims.size(); ++i) {
    out.columns.push_back(group_by[i]);
    if (dims[i] == Dimension::kExperiment) out.columns.push_back("experiment_variant");
  }
  if (options_.flush_log) options_.flush_log();
  std::map<std::vector<std::string>, GroupAgg> groups;
  GroupAgg totals;
  std::vector<std::vector<std::string>> keys;
  Pass pass{*this, out.basis, range.scenario, {}};
  RECO_RETURN_IF_ERROR(
      pass.Run(true, [&](const ExposureLine& e, const std::vector<bool>& clicked, bool converted) {
        keys.assign(1, {});
        for (Dimension d : dims) {
          if (d == Dimension::kExperiment) {
            // One row per experiment the list's user was in ("" when none).
            std::vector<std::vector<std::string>> next;
            for (const auto& key : keys) {
              if (e.experiments.empty()) {
                next.push_back(key);
                next.back().insert(next.back().end(), {"", ""});
              }
              for (const ExposureExperiment& x : e.experiments) {
                next.push_back(key);
                next.back().insert(next.back().end(), {x.id, x.variant});
              }
            }
            keys = std::move(next);
            continue;
          }
          std::string value = d == Dimension::kScenario       ? e.scenario
                              : d == Dimension::kModelVersion ? e.model_version
                              : d == Dimension::kVariant      ? e.variant
                                                              : FormatTimestamp(e.ts).substr(0, 10);
          for (auto& key : keys) key.push_back(value);
        }
        for (const auto& key : keys) groups[key].Add(e.user_id, e.items, clicked, converted);
        totals.Add(e.user_id, e.items, clicked, converted);
      }));
  for (const auto& [key, agg] : groups) out.rows.push_back({key, agg.Done()});
  out.totals = totals.Done();
  return out;
}

Result<TopItems> AnalyticsService::Top(std::string_view by, int n, const AnalyticsRange& range) {
  TopItems out;
  out.by = by.empty() ? "exposures" : std::string(by);
  if (out.by != "exposures" && out.by != "clicks" && out.by != "ctr") {
    return InvalidArgument("by: \"" + out.by + "\" is not one of exposures, clicks, ctr", "by");
  }
  if (n == 0) n = kDefaultTopN;
  if (n < 1 || n > kMaxTopN) {
    return InvalidArgument("n: " + std::to_string(n) + " is not in 1.." + std::to_string(kMaxTopN),
                           "n");
  }
  RECO_ASSIGN_OR_RETURN(out.basis, Resolve(range));
  if (options_.flush_log) options_.flush_log();
  std::unordered_map<std::string, TopItem> items;
  Pass pass{*this, out.basis, range.scenario, {}};
  RECO_RETURN_IF_ERROR(
      pass.Run(true, [&](const ExposureLine& e, const std::vector<bool>& clicked, bool) {
        for (size_t i = 0; i < e.items.size(); ++i) {
          TopItem& item = items[e.items[i]];
          ++item.exposures;
          item.clicks += clicked[i] ? 1 : 0;
        }
      }));
  std::vector<TopItem> all;
  all.reserve(items.size());
  for (auto& [id, item] : items) {
    item.item_id = id;
    item.ctr = Ratio(item.clicks, item.exposures);
    all.push_back(std::move(item));
  }
  auto primary = [&](const TopItem& x) {
    return out.by == "exposures" ? static_cast<double>(x.exposures)
           : out.by == "clicks"  ? static_cast<double>(x.clicks)
                                 : x.ctr;
  };
  auto before = [&](const TopItem& a, const TopItem& b) {
    if (primary(a) != primary(b)) return primary(a) > primary(b);
    if (a.exposures != b.exposures) return a.exposures > b.exposures;
    return a.item_id < b.item_id;
  };
  const size_t keep = std::min(all.size(), static_cast<size_t>(n));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    before);
  all.resize(keep);
  out.items = std::move(all);
  return out;
}

Result<Coverage> AnalyticsService::CatalogueCoverage(const AnalyticsRange& range) {
  Coverage out;
  RECO_ASSIGN_OR_RETURN(out.basis, Resolve(range));
  out.basis.click_types.clear();  // no feedback is read
  out.basis.conversion_types.clear();
  if (options_.flush_log) options_.flush_log();
  std::unordered_map<std::string, int64_t> shown;
  Pass pass{*this, out.basis, range.scenario, {}};
  RECO_RETURN_IF_ERROR(pass.Run(false, [&](const ExposureLine& e, const std::vector<bool>&, bool) {
    for (const std::string& item : e.items) ++shown[item];
    out.impressions += static_cast<int64_t>(e.items.size());
  }));
  std::vector<int64_t> counts;
  RECO_RETURN_IF_ERROR(store_.ScanItems([&](const Item& item) {
    if (item.is_hidden) return;
    ++out.catalogue_items;
    auto it = shown.find(item.item_id);
    if (it == shown.end()) {
      counts.push_back(0);
      return;
    }
    ++out.exposed_catalogue_items;
    counts.push_back(it->second);
    it->second = -it->second;  // marks the catalogue's: the others are added below
  }));
  out.exposed_items = static_cast<int64_t>(shown.size());
  for (const auto& [id, count] : shown) {
    if (count > 0) counts.push_back(count);
  }
  out.coverage = Ratio(out.exposed_catalogue_items, out.catalogue_items);
  out.gini = Gini(counts);
  if (!counts.empty()) {
    out.top_items = std::max<int64_t>(
        1, static_cast<int64_t>(std::ceil(0.01 * static_cast<double>(counts.size()))));
    std::partial_sort(counts.begin(), counts.begin() + out.top_items, counts.end(),
                      std::greater<>());
    int64_t top = 0;
    for (int64_t i = 0; i < out.top_items; ++i) top += counts[static_cast<size_t>(i)];
    out.top_share = Ratio(top, out.impressions);
  }
  return out;
}

double AnalyticsService::Gini(std::vector<int64_t> counts) {
  // G = sum_i (2i - n - 1) x_i / (n * sum x), x ascending, i = 1..n.
  const auto n = static_cast<double>(counts.size());
  std::sort(counts.begin(), counts.end());
  double weighted = 0, total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    const auto x = static_cast<double>(counts[i]);
    weighted += (2.0 * static_cast<double>(i + 1) - n - 1.0) * x;
    total += x;
  }
  return total > 0 ? weighted / (n * total) : 0;
}

}  // namespace reco::service
