#include "training/recs_trainer.h"

#include <spdlog/spdlog.h>

namespace reco::training {

Status RecsTrainer::Fit(const Dataset& dataset, ModelTrainStats& stats) {
  RECO_ASSIGN_OR_RETURN(eval::FittedScorer fitted,
                        eval::FitScorer(algo_, dataset, settings_, options_.show_progress));
  fit_seconds_ = fitted.train_seconds;
  spdlog::info("event=algorithm_fitted algo={} seconds={:.3f}", algo_, fit_seconds_);
  RECO_ASSIGN_OR_RETURN(UserRecsModel recs, PrecomputeUserRecs(*fitted.scorer, dataset, algo_,
                                                               fitted.options, options_));
  stats.items = recs.item_ids().size();
  stats.entries = recs.num_entries();
  recs_ = std::move(recs);
  return Status::Ok();
}

Status RecsTrainer::Save(const std::filesystem::path& path, TimestampUs created) const {
  if (!recs_) return FailedPrecondition("recs: Save before Fit");
  return recs_->Save(path, created);
}

}  // namespace reco::training
