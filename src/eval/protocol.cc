#include "eval/protocol.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "eval/split_util.h"

namespace reco::eval {
namespace internal {

Dataset CopyDataset(const Dataset& source, const std::vector<uint8_t>& keep,
                    const std::vector<std::string>& extra_items) {
  DatasetBuilder builder;
  for (const std::string& id : source.user_ids()) builder.AddUser(id);
  std::vector<std::string> categories;
  for (uint32_t i = 0; i < source.num_items(); ++i) {
    categories.clear();
    for (uint32_t c : source.ItemCategories(i)) categories.push_back(source.category_names()[c]);
    builder.AddItem(source.item_ids()[i], source.item_hidden(i), source.item_timestamp(i),
                    categories);
  }
  for (const std::string& id : extra_items) builder.AddItem(id);
  size_t pos = 0;
  for (uint32_t u = 0; u < source.num_users(); ++u) {
    std::span<const uint32_t> items = source.UserItems(u);
    std::span<const TimestampUs> times = source.UserItemTimes(u);
    for (size_t k = 0; k < items.size(); ++k, ++pos) {
      if (keep[pos]) builder.AddPositive(u, items[k], times[k]);
    }
  }
  return std::move(builder).Build();
}

}  // namespace internal

namespace {

Status CheckFraction(double value, std::string_view what, std::string field) {
  if (!(value > 0.0 && value < 1.0)) {
    return InvalidArgument(std::string(what) + " must be in (0, 1), got " + std::to_string(value),
                           std::move(field));
  }
  return Status::Ok();
}

void FinishStats(EvalSplit& split) {
  split.stats.train_positives = static_cast<int64_t>(split.train.num_positives());
  int64_t test = 0;
  for (const HeldOutUser& u : split.users) test += static_cast<int64_t>(u.test.size());
  split.stats.test_positives = test;
}

}  // namespace

std::string_view ProtocolName(ProtocolKind kind) {
  switch (kind) {
    case ProtocolKind::kFixed:
      return "fixed";
    case ProtocolKind::kRandom:
      return "random";
    case ProtocolKind::kTemporal:
      return "temporal";
    case ProtocolKind::kStrong:
      return "strong";
  }
  return "unknown";
}

Result<ProtocolKind> ParseProtocol(std::string_view name) {
  for (ProtocolKind kind : {ProtocolKind::kFixed, ProtocolKind::kRandom, ProtocolKind::kTemporal,
                            ProtocolKind::kStrong}) {
    if (name == ProtocolName(kind)) return kind;
  }
  return InvalidArgument(
      "unknown protocol \"" + std::string(name) + "\" (accepted: fixed, random, temporal, strong)",
      "--protocol");
}

std::span<const uint32_t> UserHistory(const EvalSplit& split, const HeldOutUser& user) {
  if (split.uses_fold_in) return user.fold_in;
  return split.train.UserItems(user.user);
}

// Holds out, for every user with more than `min_keep` positives, the positions (into
// UserItems(u)) that pick(u, order) leaves at the end of `order` — `order` holds 0..n-1 and
// pick returns how many of its last entries to hold out. Smaller users only train.
template <typename Pick>
EvalSplit HoldOutPerUser(const Dataset& all, size_t min_keep, Pick&& pick) {
  std::vector<uint8_t> keep(all.num_positives(), 1);
  EvalSplit split;
  size_t base = 0;
  std::vector<uint32_t> order;
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    std::span<const uint32_t> items = all.UserItems(u);
    const size_t n = items.size();
    if (n <= min_keep) {
      split.stats.train_only_users += n > 0 ? 1 : 0;
      base += n;
      continue;
    }
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
    const size_t count = pick(u, order);
    HeldOutUser& held = split.users.emplace_back();
    held.user = u;
    for (size_t t = n - count; t < n; ++t) {
      keep[base + order[t]] = 0;
      held.test.push_back(items[order[t]]);
    }
    std::sort(held.test.begin(), held.test.end());
    base += n;
  }
  split.train = internal::CopyDataset(all, keep);
  FinishStats(split);
  return split;
}

Result<EvalSplit> SplitRandom(const Dataset& all, double test_fraction, uint64_t seed) {
  RECO_RETURN_IF_ERROR(CheckFraction(test_fraction, "test fraction", "--test-fraction"));
  std::mt19937_64 rng(seed);
  return HoldOutPerUser(all, 1, [&](uint32_t, std::vector<uint32_t>& order) {
    internal::Shuffle(order, rng);
    // The first `count` shuffled positions are held out: reverse so they come last.
    const size_t count = internal::HoldOutCount(order.size(), test_fraction);
    std::reverse(order.begin(), order.end());
    return count;
  });
}

Result<EvalSplit> SplitLeaveLastN(const Dataset& all, int n) {
  if (n <= 0) return InvalidArgument("--leave-last must be > 0", "--leave-last");
  return HoldOutPerUser(all, static_cast<size_t>(n), [&](uint32_t u, std::vector<uint32_t>& order) {
    std::span<const TimestampUs> times = all.UserItemTimes(u);
    // Items are ascending, so a stable sort by time orders by (time, item).
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return times[a] < times[b]; });
    return static_cast<size_t>(n);
  });
}

Result<EvalSplit> SplitTimeCut(const Dataset& all, TimestampUs cut) {
  std::vector<uint8_t> keep(all.num_positives(), 1);
  EvalSplit split;
  split.stats.time_cut = cut;
  size_t base = 0;
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    std::span<const uint32_t> items = all.UserItems(u);
    std::span<const TimestampUs> times = all.UserItemTimes(u);
    HeldOutUser held;
    held.user = u;
    for (size_t k = 0; k < items.size(); ++k) {
      if (times[k] < cut) continue;
      keep[base + k] = 0;
      held.test.push_back(items[k]);
    }
    const size_t train_count = items.size() - held.test.size();
    base += items.size();
    if (held.test.empty()) {
      split.stats.train_only_users += items.empty() ? 0 : 1;
    } else if (train_count == 0) {
      ++split.stats.dropped_test_users;
      split.stats.dropped_test_items += static_cast<int64_t>(held.test.size());
    } else {
      split.users.push_back(std::move(held));
    }
  }
  split.train = internal::CopyDataset(all, keep);
  FinishStats(split);
  return split;
}

Result<TimestampUs> PositiveTimeQuantile(const Dataset& all, double q) {
  RECO_RETURN_IF_ERROR(CheckFraction(q, "time-cut quantile", "--time-cut"));
  std::vector<TimestampUs> times;
  times.reserve(all.num_positives());
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    std::span<const TimestampUs> t = all.UserItemTimes(u);
    times.insert(times.end(), t.begin(), t.end());
  }
  if (times.empty()) return InvalidArgument("the dataset has no positive interactions");
  auto pos = static_cast<size_t>(q * static_cast<double>(times.size()));
  pos = std::min(pos, times.size() - 1);
  std::nth_element(times.begin(), times.begin() + static_cast<ptrdiff_t>(pos), times.end());
  return times[pos];
}

Result<EvalSplit> SplitStrong(const Dataset& all, double user_fraction, double fold_in_fraction,
                              uint64_t seed) {
  RECO_RETURN_IF_ERROR(CheckFraction(user_fraction, "held-out user fraction", "--test-fraction"));
  RECO_RETURN_IF_ERROR(CheckFraction(fold_in_fraction, "fold-in fraction", "--fold-in-fraction"));
  std::vector<uint32_t> candidates;
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    if (all.UserItems(u).size() >= 2) candidates.push_back(u);
  }
  if (candidates.size() < 2) {
    return InvalidArgument("strong generalisation needs at least 2 users with 2 or more positives");
  }
  std::mt19937_64 rng(seed);
  internal::Shuffle(candidates, rng);
  const size_t held_count = internal::HoldOutCount(candidates.size(), user_fraction);
  std::vector<uint32_t> held_users(candidates.begin(),
                                   candidates.begin() + static_cast<ptrdiff_t>(held_count));
  std::sort(held_users.begin(), held_users.end());
  std::vector<uint64_t> base(all.num_users() + 1, 0);
  for (uint32_t u = 0; u < all.num_users(); ++u) base[u + 1] = base[u] + all.UserItems(u).size();
  std::vector<uint8_t> keep(all.num_positives(), 1);
  EvalSplit split;
  split.uses_fold_in = true;
  std::vector<uint32_t> order;
  for (uint32_t u : held_users) {
    std::span<const uint32_t> items = all.UserItems(u);
    order.resize(items.size());
    std::iota(order.begin(), order.end(), 0u);
    internal::Shuffle(order, rng);
    const size_t test_count = internal::HoldOutCount(items.size(), 1.0 - fold_in_fraction);
    HeldOutUser& held = split.users.emplace_back();
    held.user = u;
    for (size_t t = 0; t < order.size(); ++t) {
      keep[base[u] + order[t]] = 0;
      (t < test_count ? held.test : held.fold_in).push_back(items[order[t]]);
    }
    std::sort(held.test.begin(), held.test.end());
    std::sort(held.fold_in.begin(), held.fold_in.end());
  }
  split.train = internal::CopyDataset(all, keep);
  FinishStats(split);
  return split;
}

Result<EvalSplit> MakeSplit(const Dataset& all, const ProtocolOptions& options) {
  switch (options.kind) {
    case ProtocolKind::kFixed:
      return InvalidArgument("the fixed protocol reads its split from --train and --test files",
                             "--protocol");
    case ProtocolKind::kRandom:
      return SplitRandom(all, options.test_fraction, options.seed);
    case ProtocolKind::kStrong:
      return SplitStrong(all, options.test_fraction, options.fold_in_fraction, options.seed);
    case ProtocolKind::kTemporal:
      break;
  }
  const bool has_cut = options.time_cut.has_value() || options.time_cut_quantile > 0;
  if (options.leave_last > 0 && has_cut) {
    return InvalidArgument("give either --leave-last or --time-cut, not both", "--leave-last");
  }
  if (options.leave_last > 0) return SplitLeaveLastN(all, options.leave_last);
  if (options.time_cut.has_value()) return SplitTimeCut(all, *options.time_cut);
  if (options.time_cut_quantile > 0) {
    RECO_ASSIGN_OR_RETURN(TimestampUs cut, PositiveTimeQuantile(all, options.time_cut_quantile));
    return SplitTimeCut(all, cut);
  }
  return InvalidArgument("the temporal protocol needs --leave-last N or --time-cut", "--protocol");
}

void WriteProtocolJson(const ProtocolOptions& options, JsonWriter& w) {
  w.BeginObject();
  w.Key("name").String(ProtocolName(options.kind));
  switch (options.kind) {
    case ProtocolKind::kFixed:
      break;
    case ProtocolKind::kRandom:
      w.Key("test_fraction").Double(options.test_fraction);
      w.Key("seed").Int(static_cast<int64_t>(options.seed));
      break;
    case ProtocolKind::kStrong:
      w.Key("heldout_user_fraction").Double(options.test_fraction);
      w.Key("fold_in_fraction").Double(options.fold_in_fraction);
      w.Key("seed").Int(static_cast<int64_t>(options.seed));
      break;
    case ProtocolKind::kTemporal:
      if (options.leave_last > 0) w.Key("leave_last").Int(options.leave_last);
      if (options.time_cut.has_value()) w.Key("time_cut").Timestamp(*options.time_cut);
      if (!options.time_cut.has_value() && options.time_cut_quantile > 0) {
        w.Key("time_cut_quantile").Double(options.time_cut_quantile);
      }
      break;
  }
  w.EndObject();
}

}  // namespace reco::eval
