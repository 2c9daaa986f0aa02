#include "experiment/exposures.h"

#include <algorithm>

namespace reco::experiment {
namespace fs = std::filesystem;

Result<std::optional<ExposureEvent>> ParseExposureFor(std::string_view line,
                                                      std::string_view experiment_id) {
  // Most lines of a busy log name no experiment or another one: a plain search skips them
  // before any parsing.
  if (line.find(experiment_id) == std::string_view::npos) return std::optional<ExposureEvent>();
  RECO_ASSIGN_OR_RETURN(ExposureLine parsed, ParseExposureLine(line));
  for (ExposureExperiment& x : parsed.experiments) {
    if (x.id != experiment_id) continue;
    return std::optional<ExposureEvent>(ExposureEvent{.ts = parsed.ts,
                                                      .user_id = std::move(parsed.user_id),
                                                      .variant = std::move(x.variant),
                                                      .items = std::move(parsed.items)});
  }
  return std::optional<ExposureEvent>();
}

Result<ReadStats> ReadExposures(const std::vector<fs::path>& files, std::string_view experiment_id,
                                const std::function<void(ExposureEvent&&)>& fn) {
  ReadStats stats;
  RECO_RETURN_IF_ERROR(ForEachExposureLine(files, [&](std::string_view line) {
    ++stats.lines;
    auto parsed = ParseExposureFor(line, experiment_id);
    if (!parsed.ok()) {
      ++stats.bad_lines;
    } else if (parsed->has_value()) {
      fn(std::move(**parsed));
    }
    return true;
  }));
  return stats;
}

ExposureJoin::ExposureJoin(std::vector<std::string> variants, JoinOptions options)
    : variants_(std::move(variants)), options_(options) {}

void ExposureJoin::AddExposure(ExposureEvent&& e) {
  auto it = std::find(variants_.begin(), variants_.end(), e.variant);
  if (it == variants_.end()) {
    ++unknown_variant_;
    return;
  }
  const size_t variant = static_cast<size_t>(it - variants_.begin());
  if (first_exposure_ == 0 || e.ts < first_exposure_) first_exposure_ = e.ts;
  auto [user, inserted] = users_.try_emplace(e.user_id);
  UserLog& u = user->second;
  if (inserted) {
    u.variant = variant;
    u.first_ts = e.ts;
  } else if (e.ts < u.first_ts) {
    // An earlier line of a later file: the first exposure decides the variant.
    u.switched = u.switched || u.variant != variant;
    u.variant = variant;
    u.first_ts = e.ts;
  } else if (u.variant != variant) {
    u.switched = true;
  }
  u.lists.emplace_back(e.ts, std::move(e.items));
  u.sorted = false;
}

void ExposureJoin::AddOutcome(std::string_view user_id, OutcomeEvent e) {
  auto it = users_.find(std::string(user_id));
  if (it == users_.end()) return;
  it->second.outcomes.push_back(std::move(e));
  it->second.sorted = false;
}

void ExposureJoin::SortAll() {
  for (auto& [id, u] : users_) {
    if (u.sorted) continue;
    std::stable_sort(u.lists.begin(), u.lists.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(u.outcomes.begin(), u.outcomes.end(),
                     [](const OutcomeEvent& a, const OutcomeEvent& b) { return a.ts < b.ts; });
    u.sorted = true;
  }
}

UserCounts ExposureJoin::CountUser(const UserLog& u, TimestampUs cutoff) const {
  UserCounts c;
  for (const auto& [ts, items] : u.lists) {
    if (ts >= cutoff) break;
    ++c.exposures;
    const TimestampUs end = std::min(cutoff, ts + options_.click_window_us + 1);
    // Outcomes are sorted by time: the clicks of [ts, end).
    auto first = std::lower_bound(u.outcomes.begin(), u.outcomes.end(), ts,
                                  [](const OutcomeEvent& o, TimestampUs t) { return o.ts < t; });
    for (auto it = first; it != u.outcomes.end() && it->ts < end; ++it) {
      if (it->click && std::find(items.begin(), items.end(), it->item_id) != items.end()) {
        ++c.clicks;
        break;
      }
    }
  }
  if (c.exposures == 0) return c;
  const TimestampUs start = u.lists.front().first;
  for (const OutcomeEvent& o : u.outcomes) {
    if (o.ts >= cutoff) break;
    if (o.conversion && o.ts >= start) ++c.conversions;
  }
  return c;
}

std::vector<VariantCounts> ExposureJoin::CountAt(TimestampUs cutoff) {
  SortAll();
  std::vector<VariantCounts> out(variants_.size());
  for (const auto& [id, u] : users_) {
    if (u.lists.empty() || u.lists.front().first >= cutoff) continue;
    out[u.variant].push_back(CountUser(u, cutoff));
  }
  return out;
}

int64_t ExposureJoin::switched_users() {
  int64_t n = 0;
  for (const auto& [id, u] : users_) n += u.switched ? 1 : 0;
  return n;
}

}  // namespace reco::experiment
