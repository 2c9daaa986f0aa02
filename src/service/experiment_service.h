// ExperimentService: A/B experiments for every transport — create, edit, start, ramp, stop and
// delete them, assign a user to the running ones, and compute their results from the exposure
// log joined with the store's feedback (experiment/ holds the model, assignment and statistics).
//
// One store is one tenant: a tenant's server builds one ExperimentService on its own Store and
// exposure log.
//
// Thread-safety: every method is safe from any thread; writes are serialised (a start places the
// experiment among the running ones of its layer atomically). Assign() reads an immutable
// snapshot of the running experiments, replaced after every write of this service and by
// Refresh() (for writes made by another process on the same store).
// Lifetime: borrows the Store and Clock, which must outlive it.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "experiment/assignment.h"
#include "experiment/exposures.h"
#include "experiment/results.h"
#include "experiment/serving.h"
#include "store/store.h"

namespace reco::service {

struct ExperimentServiceOptions {
  // The live exposure log (DATA_DIR/evaluation/exposure_log.jsonl); its rotated siblings are read
  // too.
  std::filesystem::path exposure_log;
  experiment::JoinOptions join;
  experiment::ResultsOptions results;
  int max_looks = 400;  // daily looks of the sequential p-value (the first ones are kept)
};

// The editable definition of an experiment: what POST and PUT carry.
struct ExperimentDefinition {
  std::string id;  // POST only; PUT takes the id from the path
  std::string name;
  std::string layer;
  double traffic = 1.0;
  std::vector<ExperimentVariantRecord> variants;
  std::vector<std::string> click_types;
  std::vector<std::string> conversion_types;
};

// The results of one experiment and what they were computed from.
struct ExperimentReport {
  ExperimentRecord experiment;
  experiment::ExperimentResults results;
  double alpha = 0.05;  // the level of the intervals and of `significant`
  TimestampUs computed_at = 0;
  TimestampUs window_start = 0;  // started_at (the first exposure when unset)
  TimestampUs window_end = 0;    // stopped_at, or now while running (inclusive)
  int64_t log_lines = 0;
  int64_t bad_lines = 0;
  int64_t unknown_variant_exposures = 0;  // lines naming a variant the experiment lacks
  int64_t switched_users = 0;             // users logged in more than one variant
};

class ExperimentService {
 public:
  ExperimentService(Store& store, const Clock& clock, ExperimentServiceOptions options);

  // A new draft; InvalidArgument naming the field, AlreadyExists for a taken id.
  Result<ExperimentRecord> Create(const ExperimentDefinition& definition);
  // Replaces the definition of `id`. Drafts change freely; a running experiment only its name
  // and traffic (a ramp, which keeps its users); FailedPrecondition naming the field otherwise.
  Result<ExperimentRecord> Update(std::string_view id, const ExperimentDefinition& definition);
  Result<ExperimentRecord> Get(std::string_view id);  // NotFound
  Result<std::vector<ExperimentRecord>> List();
  // draft -> running: takes a free bucket range of its layer (FailedPrecondition naming
  // "traffic" when the layer is full; "status" when not a draft).
  Result<ExperimentRecord> Start(std::string_view id);
  // running -> stopped (FailedPrecondition naming "status" otherwise).
  Result<ExperimentRecord> Stop(std::string_view id);
  // Deletes a draft or stopped experiment (a running one must be stopped first).
  Status Delete(std::string_view id);

  // The user's variant of every running experiment it falls into, one per layer at most.
  Result<std::vector<experiment::Assignment>> Assign(std::string_view user_id);
  // What the user's experiments change about a recommend request for `scenario` ("" = the
  // plain route): experiment/serving.h. Empty (nothing changes) when nothing is running, and
  // when the running experiments cannot be read (logged).
  experiment::ServingPlan Plan(std::string_view user_id, std::string_view scenario);
  // The model versions (run ids) the variants of the running experiments name, sorted.
  std::vector<std::string> RunningModelVersions();
  // Reloads the running experiments from the store.
  Status Refresh();

  Result<ExperimentReport> Results(std::string_view id);

 private:
  // The running experiments as of the last load (loads once when never loaded).
  Result<std::shared_ptr<const std::vector<ExperimentRecord>>> Running();
  // Writes `e` with `write` and refreshes the snapshot; returns `e`.
  Result<ExperimentRecord> Save(const ExperimentRecord& e, bool insert);
  // Reads the experiment's exposures and its users' outcomes into `join`.
  Status Collect(const ExperimentRecord& e, experiment::ExposureJoin& join,
                 ExperimentReport& report);

  Store& store_;
  const Clock& clock_;
  ExperimentServiceOptions options_;
  std::mutex write_mu_;
  std::mutex snapshot_mu_;  // guards running_
  std::shared_ptr<const std::vector<ExperimentRecord>> running_;
  // True once a load found no running experiment, until one finds some (Plan's fast path).
  std::atomic<bool> none_running_{false};
};

}  // namespace reco::service
