// The exposure log as an experiment reads it, and the join of its lists with feedback into the
// per-user counts that results.h compares.
//
// An exposure line (serving/exposure_log.h) names the experiments its user was in:
//   {"ts":"…","user_id":"u1",…,"experiments":{"exp1":"treatment"},"items":["i1","i2"]}
// One line is one exposure (a recommendation list served). A list is clicked when its user gave
// a click feedback on one of its items within [ts, ts + click_window); a conversion is a
// conversion feedback of the user at or after the user's first exposure.
//
// Thread-safety: pure functions (ReadExposures reads files).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "experiment/results.h"
#include "store/exposure_line.h"

namespace reco::experiment {

// One list served to a user of an experiment.
struct ExposureEvent {
  TimestampUs ts = 0;
  std::string user_id;
  std::string variant;
  std::vector<std::string> items;
};

// The line's exposure for `experiment_id`; nullopt when the line does not name the experiment;
// InvalidArgument naming the field when the line is not a valid exposure line
// (ParseExposureLine, store/exposure_line.h, parses it).
Result<std::optional<ExposureEvent>> ParseExposureFor(std::string_view line,
                                                      std::string_view experiment_id);

// The live log and its rotated siblings, oldest first (store/exposure_line.h).
using ::reco::ExposureLogFiles;

struct ReadStats {
  int64_t lines = 0;
  int64_t bad_lines = 0;  // skipped: not valid exposure lines (e.g. cut by a crash)
};
// Calls `fn` with every exposure of `experiment_id` in `files`, in file order.
Result<ReadStats> ReadExposures(const std::vector<std::filesystem::path>& files,
                                std::string_view experiment_id,
                                const std::function<void(ExposureEvent&&)>& fn);

// A feedback of one of the experiment's users that counts as a click or a conversion.
struct OutcomeEvent {
  TimestampUs ts = 0;
  std::string item_id;
  bool click = false;
  bool conversion = false;
};

struct JoinOptions {
  TimestampUs click_window_us = 24LL * 3600 * kMicrosPerSecond;
};

// The experiment's users with their exposures (sorted by time) and outcomes.
class ExposureJoin {
 public:
  // `variants`: the experiment's variant names in order; exposures naming another are counted
  // in unknown_variant() and skipped.
  explicit ExposureJoin(std::vector<std::string> variants, JoinOptions options = {});

  void AddExposure(ExposureEvent&& e);
  // Only the users of AddExposure are kept: call after every exposure was added.
  void AddOutcome(std::string_view user_id, OutcomeEvent e);
  bool HasUser(std::string_view user_id) const { return users_.count(std::string(user_id)) > 0; }

  // Per variant, the counts of every user first exposed before `cutoff`, from what happened
  // before `cutoff`. A user keeps the variant of the first exposure.
  std::vector<VariantCounts> CountAt(TimestampUs cutoff);
  // The time of the earliest exposure; 0 when none.
  TimestampUs first_exposure() const { return first_exposure_; }
  int64_t unknown_variant() const { return unknown_variant_; }
  // Users whose exposures name more than one variant (kept in the first).
  int64_t switched_users();

 private:
  struct UserLog {
    size_t variant = 0;
    TimestampUs first_ts = 0;  // the earliest exposure added
    bool switched = false;
    std::vector<std::pair<TimestampUs, std::vector<std::string>>> lists;
    std::vector<OutcomeEvent> outcomes;
    bool sorted = false;
  };
  void SortAll();
  UserCounts CountUser(const UserLog& u, TimestampUs cutoff) const;

  std::vector<std::string> variants_;
  JoinOptions options_;
  std::unordered_map<std::string, UserLog> users_;
  TimestampUs first_exposure_ = 0;
  int64_t unknown_variant_ = 0;
};

}  // namespace reco::experiment
