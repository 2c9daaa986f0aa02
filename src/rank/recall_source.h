// RecallSource: one candidate generator of the ranker — a fitted recall model (popular, itemcf,
// rp3beta, ials, ease) that scores every item for a user history. A source "returns" the items
// with a finite, non-zero score. Serialize/Deserialize hold the kind and the model's own payload.
//
// Thread-safety: immutable after construction; Score is const and safe from several threads.
// Lifetime: owns its model; movable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "data/dataset.h"
#include "models/ease.h"
#include "models/ials.h"
#include "models/itemcf.h"
#include "models/rp3beta.h"

namespace reco::rank {

// The kinds a RecallSource can hold, in documentation order.
const std::vector<std::string>& KnownSourceKinds();

// Options of the models a source fits when no other fitter is given (RecallSource::Fit).
struct SourceOptions {
  ItemCfOptions itemcf;
  Rp3betaOptions rp3beta;
  IalsOptions ials;
  EaseOptions ease;
};

class RecallSource {
 public:
  // Fits a source of `kind` on `dataset`; InvalidArgument for an unknown kind.
  static Result<RecallSource> Fit(std::string_view kind, const Dataset& dataset,
                                  const SourceOptions& options);
  // score(i) = number of users with a positive on i.
  static RecallSource Popular(const Dataset& dataset);
  explicit RecallSource(ItemCfModel model) : kind_("itemcf"), model_(std::move(model)) {}
  explicit RecallSource(Rp3betaModel model) : kind_("rp3beta"), model_(std::move(model)) {}
  explicit RecallSource(IalsModel model) : kind_("ials"), model_(std::move(model)) {}
  explicit RecallSource(EaseModel model) : kind_("ease"), model_(std::move(model)) {}

  const std::string& kind() const { return kind_; }
  size_t num_items() const;
  // Writes a score for every item (size num_items()) for a user whose items are `history`.
  void Score(std::span<const uint32_t> history, std::span<float> scores) const;
  // The item-CF model when kind() == "itemcf", else nullptr.
  const ItemCfModel* itemcf() const { return std::get_if<ItemCfModel>(&model_); }

  std::string Serialize() const;
  static Result<RecallSource> Deserialize(std::string_view payload);

 private:
  RecallSource(std::string kind, std::vector<float> counts)
      : kind_(std::move(kind)), model_(std::move(counts)) {}

  std::string kind_;
  // Popularity counts (size num_items) or a model.
  std::variant<std::vector<float>, ItemCfModel, Rp3betaModel, IalsModel, EaseModel> model_;
};

}  // namespace reco::rank
