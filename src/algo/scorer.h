// The algorithm table, the model plug-in point: the scorers (eval/scorer_interface.h) of the
// classic models (popularity by training counts, item-CF, RP3beta, EASE, iALS), and the table of
// algorithms (Algorithms()) from which FitScorer fits one by name with "algo.key=value"
// settings. Each algorithm's entry lives in src/algo/algo_<name>.cc.
//
// Thread-safety: Score() is const and is called from several threads at once; implementations
// must not mutate shared state. Lifetime: a scorer owns its model; the Dataset passed to
// FitScorer is not referenced after it returns.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "data/dataset.h"
#include "eval/scorer_interface.h"
#include "models/ease.h"
#include "models/ials.h"
#include "models/itemcf.h"
#include "models/rp3beta.h"

namespace reco::content {
struct TextDocument;
class TextEmbedder;
}  // namespace reco::content

namespace reco::algo {

// The interface every algorithm implements and the type of its options belong to the evaluator,
// which needs nothing else from this table.
using eval::Scorer;
using eval::Setting;

// score(i) = number of training users with a positive on i.
class PopularityScorer final : public Scorer {
 public:
  explicit PopularityScorer(const Dataset& train);
  void Score(uint32_t user, std::span<const uint32_t> history,
             std::span<float> scores) const override;

 private:
  std::vector<float> counts_;
};

// score(j) = sum over h in history of sim(h, j), over h's stored neighbours.
class ItemCfScorer final : public Scorer {
 public:
  explicit ItemCfScorer(ItemCfModel model) : model_(std::move(model)) {}
  void Score(uint32_t user, std::span<const uint32_t> history,
             std::span<float> scores) const override;
  Status Save(const std::filesystem::path& path, TimestampUs created) const override {
    return model_.Save(path, created);
  }
  const ItemCfModel& model() const { return model_; }

 private:
  ItemCfModel model_;
};

// score(j) = Σ over h in history of W(h, j), over h's stored random-walk targets.
class Rp3betaScorer final : public Scorer {
 public:
  explicit Rp3betaScorer(Rp3betaModel model) : model_(std::move(model)) {}
  void Score(uint32_t user, std::span<const uint32_t> history,
             std::span<float> scores) const override;
  Status Save(const std::filesystem::path& path, TimestampUs created) const override {
    return model_.Save(path, created);
  }
  const Rp3betaModel& model() const { return model_; }

 private:
  Rp3betaModel model_;
};

// score(j) = Σ over h in history of B(h, j) (dense EASE weights).
class EaseScorer final : public Scorer {
 public:
  explicit EaseScorer(EaseModel model) : model_(std::move(model)) {}
  void Score(uint32_t user, std::span<const uint32_t> history,
             std::span<float> scores) const override;
  Status Save(const std::filesystem::path& path, TimestampUs created) const override {
    return model_.Save(path, created);
  }
  const EaseModel& model() const { return model_; }

 private:
  EaseModel model_;
};

// score(j) = x · y_j, where x is the exact least-squares user factor folded in from `history`
// (IalsModel::FoldIn), so users unseen in training (strong generalisation) are scored too.
class IalsScorer final : public Scorer {
 public:
  explicit IalsScorer(IalsModel model) : model_(std::move(model)) {}
  void Score(uint32_t user, std::span<const uint32_t> history,
             std::span<float> scores) const override;
  Status Save(const std::filesystem::path& path, TimestampUs created) const override {
    return model_.Save(path, created);
  }
  const IalsModel& model() const { return model_; }

 private:
  IalsModel model_;
};

struct FittedScorer {
  std::unique_ptr<Scorer> scorer;
  std::string algo;              // "popular", "itemcf", "rp3beta", "ease", "ials"
  std::vector<Setting> options;  // every effective option, "key" -> value as text
  double train_seconds = 0;
};

// What a fit may use besides the interactions and the settings.
struct FitContext {
  bool show_progress = false;  // progress lines on stderr
  // The catalogue's item texts by item id (content/text_features.h ItemText) for the content
  // features of the algorithms that have them (the ranker's, unless ranker.item_text names a
  // file); null = none, those features are missing values.
  std::shared_ptr<const std::vector<content::TextDocument>> item_texts;
  // The text embedder fitted on item_texts (the text vectors the model version serves); null =
  // the algorithm fits one on item_texts with the default options.
  std::shared_ptr<const content::TextEmbedder> text_embedder;
};

// One algorithm that can be fitted by name. `check` validates settings without fitting; `fit`
// fits on `train` (settings already checked) with what `context` offers.
struct Algorithm {
  std::string name;
  std::function<Status(const std::vector<Setting>&)> check;
  std::function<Result<FittedScorer>(const Dataset& train, const std::vector<Setting>& settings,
                                     const FitContext& context)>
      fit;
};

// Every algorithm, in the order of the documentation.
const std::vector<Algorithm>& Algorithms();

// The names of Algorithms().
std::vector<std::string> KnownAlgorithms();

// Fits algorithm `algo` on `train`. Settings are "algo.key" = value (e.g. itemcf.neighbors=200,
// rp3beta.beta=0.6, ease.lambda=300, ials.factors=128, <algo>.threads=2); an unknown algorithm,
// key or bad value is InvalidArgument naming it. A model that does not fit in its memory budget
// (ease.max_memory_gib) is ResourceExhausted. `show_progress` prints progress lines on stderr.
Result<FittedScorer> FitScorer(std::string_view algo, const Dataset& train,
                               const std::vector<Setting>& settings, bool show_progress = false);
// The same with the catalogue's content (FitContext) for the algorithms that use it.
Result<FittedScorer> FitScorer(std::string_view algo, const Dataset& train,
                               const std::vector<Setting>& settings, const FitContext& context);

// The checks of FitScorer on the algorithm name and settings, without fitting anything.
Status CheckScorerSettings(std::string_view algo, const std::vector<Setting>& settings);

// Parses "key=value" (as given to --set).
Result<Setting> ParseSetting(std::string_view text);

}  // namespace reco::algo
