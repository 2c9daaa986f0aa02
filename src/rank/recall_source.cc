#include "rank/recall_source.h"

#include <algorithm>
#include <utility>

#include "models/binary_io.h"

namespace reco::rank {
namespace {

template <typename M, typename O>
Result<RecallSource> FitModel(const Dataset& dataset, const O& options) {
  RECO_ASSIGN_OR_RETURN(M model, M::Fit(dataset, options));
  return RecallSource(std::move(model));
}

template <typename M>
Result<RecallSource> DecodeModel(std::string_view payload) {
  RECO_ASSIGN_OR_RETURN(M model, M::Deserialize(payload));
  return RecallSource(std::move(model));
}

Result<RecallSource> DecodeKind(std::string_view kind, std::string_view model) {
  if (kind == "itemcf") return DecodeModel<ItemCfModel>(model);
  if (kind == "rp3beta") return DecodeModel<Rp3betaModel>(model);
  if (kind == "ials") return DecodeModel<IalsModel>(model);
  if (kind == "ease") return DecodeModel<EaseModel>(model);
  return DataLoss("unknown kind");
}

}  // namespace

const std::vector<std::string>& KnownSourceKinds() {
  static const std::vector<std::string>* const kKinds =
      new std::vector<std::string>{"popular", "itemcf", "rp3beta", "ials", "ease"};
  return *kKinds;
}

RecallSource RecallSource::Popular(const Dataset& dataset) {
  std::vector<float> counts(dataset.num_items());
  for (uint32_t i = 0; i < dataset.num_items(); ++i) {
    counts[i] = static_cast<float>(dataset.ItemUsers(i).size());
  }
  return RecallSource("popular", std::move(counts));
}

Result<RecallSource> RecallSource::Fit(std::string_view kind, const Dataset& dataset,
                                       const SourceOptions& options) {
  if (kind == "popular") return Popular(dataset);
  if (kind == "itemcf") return FitModel<ItemCfModel>(dataset, options.itemcf);
  if (kind == "rp3beta") return FitModel<Rp3betaModel>(dataset, options.rp3beta);
  if (kind == "ials") return FitModel<IalsModel>(dataset, options.ials);
  if (kind == "ease") return FitModel<EaseModel>(dataset, options.ease);
  return InvalidArgument("unknown recall source \"" + std::string(kind) +
                         "\" (accepted: popular, itemcf, rp3beta, ials, ease)");
}

size_t RecallSource::num_items() const {
  return std::visit(
      [](const auto& m) -> size_t {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, std::vector<float>>) {
          return m.size();
        } else {
          return m.num_items();
        }
      },
      model_);
}

void RecallSource::Score(std::span<const uint32_t> history, std::span<float> scores) const {
  if (const auto* counts = std::get_if<std::vector<float>>(&model_)) {
    std::copy(counts->begin(), counts->end(), scores.begin());
  } else if (const auto* m = std::get_if<ItemCfModel>(&model_)) {
    std::fill(scores.begin(), scores.end(), 0.0f);
    for (uint32_t h : history) {
      std::span<const uint32_t> ids = m->NeighborIds(h);
      std::span<const float> sims = m->NeighborSims(h);
      for (size_t n = 0; n < ids.size(); ++n) scores[ids[n]] += sims[n];
    }
  } else if (const auto* m = std::get_if<Rp3betaModel>(&model_)) {
    m->Score(history, scores);
  } else if (const auto* m = std::get_if<IalsModel>(&model_)) {
    m->Score(m->FoldIn(history), scores);
  } else if (const auto* m = std::get_if<EaseModel>(&model_)) {
    m->Score(history, scores);
  }
}

std::string RecallSource::Serialize() const {
  BinaryWriter w;
  w.String(kind_);
  if (const auto* counts = std::get_if<std::vector<float>>(&model_)) {
    w.F32Array(*counts);
    return w.Take();
  }
  std::string payload = std::visit(
      [](const auto& m) -> std::string {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, std::vector<float>>) {
          return {};
        } else {
          return m.Serialize();
        }
      },
      model_);
  w.U64(payload.size());
  std::string out = w.Take();
  out += payload;
  return out;
}

Result<RecallSource> RecallSource::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "recall source payload");
  std::string kind;
  RECO_RETURN_IF_ERROR(r.String(kind, 64));
  if (kind == "popular") {
    std::vector<float> counts;
    RECO_RETURN_IF_ERROR(r.F32Array(counts));
    RECO_RETURN_IF_ERROR(r.ExpectEnd());
    return RecallSource("popular", std::move(counts));
  }
  uint64_t size = 0;
  RECO_RETURN_IF_ERROR(r.U64(size));
  if (size != r.remaining()) return r.Corrupt("model payload size does not match");
  std::string_view model = payload.substr(r.position());
  Result<RecallSource> source = DecodeKind(kind, model);
  if (!source.ok()) return source.status().WithPrefix("recall source " + kind);
  return source;
}

}  // namespace reco::rank
