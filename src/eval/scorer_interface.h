// Scorer: the interface any model implements to be evaluated by full ranking (evaluator.h),
// tuned and trained. The models themselves and the table that fits them by name live in
// src/algo (algo/scorer.h); the evaluator needs only this interface.
//
// Thread-safety: Score() is const and is called from several threads at once; implementations
// must not mutate shared state. Lifetime: a scorer owns its model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>

#include "core/status.h"
#include "core/time.h"

namespace reco::eval {

class Scorer {
 public:
  virtual ~Scorer() = default;
  // Writes a score for every item into `scores` (size num_items, higher is better) for `user`
  // (an index of the training Dataset) whose known items are `history` (ascending item indices).
  // The evaluator masks the history items afterwards.
  virtual void Score(uint32_t user, std::span<const uint32_t> history,
                     std::span<float> scores) const = 0;
  // Scores several users at once: row r of `scores` (size users.size() * num_items, row-major)
  // is what Score(users[r], histories[r], row r) writes. The default calls Score row by row;
  // models whose scoring is a matrix product override it to use one matrix-matrix product.
  virtual void ScoreBatch(std::span<const uint32_t> users,
                          std::span<const std::span<const uint32_t>> histories,
                          std::span<float> scores) const;
  // Writes the fitted model as an artifact file (models/artifact.h) for `reco train`; scorers
  // without a model file return Unimplemented.
  virtual Status Save(const std::filesystem::path& path, TimestampUs created) const;
};

// One option of an algorithm as text, "algo.key" -> value: "itemcf.neighbors", "200".
using Setting = std::pair<std::string, std::string>;

}  // namespace reco::eval
