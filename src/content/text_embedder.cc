#include "content/text_embedder.h"

#include <algorithm>
#include <cmath>

#include "models/binary_io.h"
#include "models/randomized_svd.h"

namespace reco::content {
namespace {

using Counts = std::unordered_map<std::string, uint32_t>;

Counts CountFeatures(std::string_view text, const TextFeatureOptions& options) {
  Counts counts;
  for (std::string& f : TextFeatures(text, options)) ++counts[std::move(f)];
  return counts;
}

void Normalize(SparseTerms& terms) {
  double norm = 0;
  for (const auto& [index, w] : terms) norm += static_cast<double>(w) * w;
  if (norm <= 0) {
    terms.clear();
    return;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (auto& term : terms) term.second *= inv;
}

// The weights of `counts` over `index` (tf-idf, normalised), by feature index.
SparseTerms Weigh(const Counts& counts, const std::unordered_map<std::string, uint32_t>& index,
                  std::span<const float> idf) {
  SparseTerms terms;
  for (const auto& [feature, tf] : counts) {
    auto it = index.find(feature);
    if (it == index.end()) continue;
    const float w = (1.0f + std::log(static_cast<float>(tf))) * idf[it->second];
    terms.emplace_back(it->second, w);
  }
  std::sort(terms.begin(), terms.end());
  Normalize(terms);
  return terms;
}

}  // namespace

Status ValidateTextEmbedderOptions(const TextEmbedderOptions& options) {
  if (options.dimension < 1 || options.dimension > 1024) {
    return InvalidArgument(
        "content.text_dimension must be in 1..1024, got " + std::to_string(options.dimension),
        "content.text_dimension");
  }
  if (options.min_df < 1) {
    return InvalidArgument(
        "content.text_min_df must be >= 1, got " + std::to_string(options.min_df),
        "content.text_min_df");
  }
  if (options.max_features < 1) {
    return InvalidArgument(
        "content.text_max_features must be >= 1, got " + std::to_string(options.max_features),
        "content.text_max_features");
  }
  return ValidateTextFeatureOptions(options.features);
}

Result<TextEmbedder> TextEmbedder::Fit(std::span<const TextDocument> documents,
                                       const TextEmbedderOptions& options) {
  RECO_RETURN_IF_ERROR(ValidateTextEmbedderOptions(options));
  std::vector<Counts> counts;
  counts.reserve(documents.size());
  std::unordered_map<std::string, uint32_t> df;
  size_t with_text = 0;
  for (const TextDocument& doc : documents) {
    counts.push_back(CountFeatures(doc.text, options.features));
    if (!counts.back().empty()) ++with_text;
    for (const auto& [feature, tf] : counts.back()) ++df[feature];
  }
  std::vector<std::pair<std::string, uint32_t>> kept;
  for (auto& [feature, n] : df) {
    if (n >= static_cast<uint32_t>(options.min_df)) kept.emplace_back(feature, n);
  }
  std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (kept.size() > static_cast<size_t>(options.max_features)) kept.resize(options.max_features);
  if (kept.empty()) {
    return FailedPrecondition("text embedder: no feature appears in " +
                              std::to_string(options.min_df) + " or more of the " +
                              std::to_string(documents.size()) +
                              " items' texts (content.text_min_df)");
  }
  TextEmbedder model;
  model.features_ = options.features;
  model.documents_ = with_text;
  model.vocabulary_.reserve(kept.size());
  model.idf_.reserve(kept.size());
  for (const auto& [feature, n] : kept) {
    model.vocabulary_.push_back(feature);
    model.idf_.push_back(static_cast<float>(
        std::log((1.0 + static_cast<double>(with_text)) / (1.0 + static_cast<double>(n))) + 1.0));
  }
  model.IndexVocabulary();

  std::vector<Eigen::Triplet<float>> entries;
  int rows = 0;
  for (const Counts& c : counts) {
    SparseTerms terms = Weigh(c, model.index_, model.idf_);
    if (terms.empty()) continue;
    for (const auto& [index, w] : terms) entries.emplace_back(rows, static_cast<int>(index), w);
    ++rows;
  }
  const int cols = static_cast<int>(model.vocabulary_.size());
  SparseRowMatrix a(rows, cols);
  a.setFromTriplets(entries.begin(), entries.end());
  RandomizedSvdOptions svd_options;
  svd_options.rank = std::min({options.dimension, rows, cols});
  svd_options.power_iterations = options.power_iterations;
  svd_options.seed = options.seed;
  svd_options.num_threads = options.num_threads;
  svd_options.compute_left = false;
  RECO_ASSIGN_OR_RETURN(TruncatedSvd svd, RandomizedSvd(a, svd_options));
  model.dimension_ = static_cast<size_t>(svd.v.cols());
  model.projection_.resize(static_cast<size_t>(cols) * model.dimension_);
  for (int t = 0; t < cols; ++t) {
    for (size_t j = 0; j < model.dimension_; ++j) {
      model.projection_[static_cast<size_t>(t) * model.dimension_ + j] =
          svd.v(t, static_cast<int>(j));
    }
  }
  return model;
}

void TextEmbedder::IndexVocabulary() {
  index_.clear();
  index_.reserve(vocabulary_.size());
  for (size_t i = 0; i < vocabulary_.size(); ++i) index_.emplace(vocabulary_[i], i);
}

SparseTerms TextEmbedder::Weights(std::string_view text) const {
  return Weigh(CountFeatures(text, features_), index_, idf_);
}

std::vector<float> TextEmbedder::Embed(std::string_view text) const {
  const SparseTerms terms = Weights(text);
  if (terms.empty()) return {};
  std::vector<float> out(dimension_, 0.0f);
  for (const auto& [index, w] : terms) {
    const float* row = projection_.data() + static_cast<size_t>(index) * dimension_;
    for (size_t j = 0; j < dimension_; ++j) out[j] += w * row[j];
  }
  double norm = 0;
  for (float v : out) norm += static_cast<double>(v) * v;
  if (!(norm > 1e-20)) return {};
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (float& v : out) v *= inv;
  return out;
}

std::string TextEmbedder::Serialize() const {
  BinaryWriter w;
  w.U32(graph_.empty() ? 1 : 2);
  w.U32(static_cast<uint32_t>(features_.ngram_min));
  w.U32(static_cast<uint32_t>(features_.ngram_max));
  w.U32(static_cast<uint32_t>(dimension_));
  w.U64(documents_);
  w.StringArray(vocabulary_);
  w.F32Array(idf_);
  w.F32Array(projection_);
  if (!graph_.empty()) {
    w.U32(static_cast<uint32_t>(graph_options_.m));
    w.U32(static_cast<uint32_t>(graph_options_.ef_construction));
    w.StringArray(graph_items_);
    w.String(graph_);
  }
  return w.Take();
}

Result<TextEmbedder> TextEmbedder::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "textvec payload");
  uint32_t version = 0, ngram_min = 0, ngram_max = 0, dimension = 0;
  uint64_t documents = 0;
  RECO_RETURN_IF_ERROR(r.U32(version));
  if (version != 1 && version != 2) {
    return r.Corrupt("unsupported payload version " + std::to_string(version));
  }
  RECO_RETURN_IF_ERROR(r.U32(ngram_min));
  RECO_RETURN_IF_ERROR(r.U32(ngram_max));
  RECO_RETURN_IF_ERROR(r.U32(dimension));
  RECO_RETURN_IF_ERROR(r.U64(documents));
  TextEmbedder model;
  model.features_.ngram_min = static_cast<int>(ngram_min);
  model.features_.ngram_max = static_cast<int>(ngram_max);
  if (!ValidateTextFeatureOptions(model.features_).ok()) return r.Corrupt("bad n-gram range");
  if (dimension < 1 || dimension > 1024) return r.Corrupt("bad dimension");
  model.dimension_ = dimension;
  model.documents_ = documents;
  RECO_RETURN_IF_ERROR(r.StringArray(model.vocabulary_));
  RECO_RETURN_IF_ERROR(r.F32Array(model.idf_));
  RECO_RETURN_IF_ERROR(r.F32Array(model.projection_));
  if (version == 2) {
    uint32_t m = 0, ef_construction = 0;
    RECO_RETURN_IF_ERROR(r.U32(m));
    RECO_RETURN_IF_ERROR(r.U32(ef_construction));
    model.graph_options_.m = static_cast<int>(m);
    model.graph_options_.ef_construction = static_cast<int>(ef_construction);
    RECO_RETURN_IF_ERROR(r.StringArray(model.graph_items_));
    RECO_RETURN_IF_ERROR(r.String(model.graph_, payload.size()));
    if (model.graph_.empty() || model.graph_items_.empty()) return r.Corrupt("empty graph");
  }
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  if (model.idf_.size() != model.vocabulary_.size() ||
      model.projection_.size() != model.vocabulary_.size() * model.dimension_) {
    return r.Corrupt("vocabulary, idf and projection sizes disagree");
  }
  for (float v : model.idf_) {
    if (!std::isfinite(v)) return r.Corrupt("idf is not finite");
  }
  for (float v : model.projection_) {
    if (!std::isfinite(v)) return r.Corrupt("projection is not finite");
  }
  model.IndexVocabulary();
  if (model.index_.size() != model.vocabulary_.size()) {
    return r.Corrupt("vocabulary holds a feature twice");
  }
  return model;
}

}  // namespace reco::content
