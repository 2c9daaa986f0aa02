// Evaluation protocols: ways to split interactions into a training Dataset and held-out items
// per user. Fixed split from files (LightGCN train.txt/test.txt), per-user random holdout,
// temporal (global time cut or leave-last-N per user) and strong generalisation (Liang et al.
// 2018: disjoint held-out users whose positives are split into fold-in history and test).
// Every split keeps the source's user and item indices; random splits are a function of the seed.
//
// Thread-safety: the functions are thread-safe; an EvalSplit is immutable once returned.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json_writer.h"
#include "core/status.h"
#include "core/time.h"
#include "data/dataset.h"
#include "ingest/sources.h"

namespace reco::eval {

enum class ProtocolKind { kFixed, kRandom, kTemporal, kStrong };

// "fixed", "random", "temporal", "strong".
std::string_view ProtocolName(ProtocolKind kind);
Result<ProtocolKind> ParseProtocol(std::string_view name);

struct ProtocolOptions {
  ProtocolKind kind = ProtocolKind::kRandom;
  // random: share of each user's positives held out; strong: share of users held out.
  double test_fraction = 0.2;
  uint64_t seed = 1;
  // temporal: > 0 holds out each user's last N positives (by time, then item index).
  int leave_last = 0;
  // temporal: positives at or after this time are held out ...
  std::optional<TimestampUs> time_cut;
  // ... or, when time_cut is unset, at or after this quantile of all positive times, in (0, 1).
  double time_cut_quantile = 0;
  // strong: share of a held-out user's positives given to the model as history.
  double fold_in_fraction = 0.8;
};

// One evaluated user: the held-out items and, for strong generalisation, the fold-in history.
struct HeldOutUser {
  uint32_t user = 0;              // index in EvalSplit::train
  std::vector<uint32_t> test;     // item indices, ascending, never in the user's history
  std::vector<uint32_t> fold_in;  // item indices, ascending (strong generalisation only)
};

struct SplitStats {
  int64_t train_positives = 0;
  int64_t test_positives = 0;
  int64_t train_only_users = 0;    // users with too few positives to hold any out
  int64_t dropped_test_users = 0;  // test users absent from train (cold users)
  int64_t dropped_test_items = 0;  // their held-out items
  int64_t overlap_test_items = 0;  // fixed split: test pairs already in train, dropped
  int64_t test_only_items = 0;     // fixed split: items seen only in the test file
  int64_t bad_lines = 0;           // input lines the readers skipped
  TimestampUs time_cut = 0;        // temporal with a global cut: the cut applied
};

struct EvalSplit {
  Dataset train;
  std::vector<HeldOutUser> users;  // ascending user index
  // True: score each user from HeldOutUser::fold_in; false: from train.UserItems(user).
  bool uses_fold_in = false;
  SplitStats stats;
  std::vector<std::string> issues;  // first few skipped input lines, "path:line: reason"
};

// The scoring history of a held-out user under `split`.
std::span<const uint32_t> UserHistory(const EvalSplit& split, const HeldOutUser& user);

// Applies a non-fixed protocol to all positives of `all`.
Result<EvalSplit> MakeSplit(const Dataset& all, const ProtocolOptions& options);

Result<EvalSplit> SplitRandom(const Dataset& all, double test_fraction, uint64_t seed);
Result<EvalSplit> SplitLeaveLastN(const Dataset& all, int n);
Result<EvalSplit> SplitTimeCut(const Dataset& all, TimestampUs cut);
Result<EvalSplit> SplitStrong(const Dataset& all, double user_fraction, double fold_in_fraction,
                              uint64_t seed);
// The time at quantile q in (0, 1) of all positive interaction times.
Result<TimestampUs> PositiveTimeQuantile(const Dataset& all, double q);

// Fixed split: train and test files (e.g. LightGCN "user item item ..."). Positive test pairs
// of users without training positives are dropped and counted, as are pairs already in train.
Result<EvalSplit> LoadFixedSplit(const std::filesystem::path& train_path,
                                 const std::filesystem::path& test_path,
                                 ingest::ImportFormat format);

// Writes {"name":"random","test_fraction":0.2,"seed":1,...} (the options that apply).
void WriteProtocolJson(const ProtocolOptions& options, JsonWriter& w);

}  // namespace reco::eval
