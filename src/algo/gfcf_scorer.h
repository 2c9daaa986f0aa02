// GfcfScorer: the evaluation/tuning scorer of the GF-CF graph-filter model (models/gfcf.h).
// ScoreBatch scores a whole batch with matrix products, which is what makes full-ranking
// evaluation of GF-CF fast.
//
// Thread-safety: const calls are safe from several threads. Lifetime: owns its model.
#pragma once

#include <filesystem>
#include <span>
#include <utility>

#include "algo/scorer.h"
#include "models/gfcf.h"

namespace reco::algo {

// score(j) = GF-CF score of item j for `history` (linear + ideal filter, optional sharpening).
class GfcfScorer final : public Scorer {
 public:
  explicit GfcfScorer(GfcfModel model) : model_(std::move(model)) {}
  void Score(uint32_t user, std::span<const uint32_t> history,
             std::span<float> scores) const override {
    model_.Score(history, scores);
  }
  void ScoreBatch(std::span<const uint32_t> users,
                  std::span<const std::span<const uint32_t>> histories,
                  std::span<float> scores) const override {
    model_.ScoreBatch(histories, scores);
  }
  Status Save(const std::filesystem::path& path, TimestampUs created) const override {
    return model_.Save(path, created);
  }
  const GfcfModel& model() const { return model_; }

 private:
  GfcfModel model_;
};

}  // namespace reco::algo
