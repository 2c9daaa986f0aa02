// RecsTrainer: the ExtraModelTrainer (models/trainer.h) through which `reco train` trains any
// algorithm of the table (eval::Algorithms(), e.g. the one `reco tune` chose) on the store's
// snapshot and writes its per-user lists (UserRecsModel, kind "recs") for `reco serve`.
//
// Thread-safety: not thread-safe; used by one TrainModels call. Owns the fitted lists.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "algo/scorer.h"
#include "models/trainer.h"
#include "training/precompute.h"

namespace reco::training {

class RecsTrainer final : public ExtraModelTrainer {
 public:
  // Settings must already have passed CheckScorerSettings.
  RecsTrainer(std::string algo, std::vector<eval::Setting> settings, PrecomputeOptions options)
      : algo_(std::move(algo)), settings_(std::move(settings)), options_(options) {}

  std::string kind() const override { return std::string(UserRecsModel::kKind); }
  Status Fit(const Dataset& dataset, ModelTrainStats& stats) override;
  Status Save(const std::filesystem::path& path, TimestampUs created) const override;

  const std::optional<UserRecsModel>& recs() const { return recs_; }
  double fit_seconds() const { return fit_seconds_; }

 private:
  std::string algo_;
  std::vector<eval::Setting> settings_;
  PrecomputeOptions options_;
  std::optional<UserRecsModel> recs_;
  double fit_seconds_ = 0;
};

}  // namespace reco::training
