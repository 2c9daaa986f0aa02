// TextEmbedder (model kind "textvec"): the built-in text embedder, fitted on the catalogue itself
// with no model files. Each item's text (content/text_features.h: words and character n-grams)
// becomes a TF-IDF vector over the catalogue's vocabulary,
//   w(t, d) = (1 + ln tf(t, d)) · idf(t),  idf(t) = ln((1 + N) / (1 + df(t))) + 1,
// L2-normalised (N items with text, df(t) the items with feature t); the N × V matrix is reduced
// to `dimension` columns by the randomized SVD (models/randomized_svd.h), A ≈ U S Vᵀ, and an
// item's vector is x·V_k, L2-normalised, so that the inner product of two vectors is their
// cosine. A text the model never saw (a new item) is embedded with the same vocabulary, idf and
// projection: no refit.
//
// Vocabulary: the features of at least `min_df` items, at most `max_features` of them (the most
// frequent; ties by feature text).
//
// Thread-safety: immutable after Fit/Deserialize; concurrent const calls are safe. Movable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "content/ann_index.h"
#include "content/text_features.h"
#include "core/status.h"
#include "models/model_io.h"

namespace reco::content {

struct TextEmbedderOptions {
  int dimension = 64;         // output dimension k (1..1024; capped by the catalogue's size)
  int min_df = 2;             // features of fewer items are left out (>= 1)
  int max_features = 200000;  // vocabulary size at most (>= 1)
  TextFeatureOptions features;
  int power_iterations = 3;  // randomized SVD
  uint64_t seed = 1;
  int num_threads = 0;  // 0 = number of cores
};

// InvalidArgument naming the content.text_* key.
Status ValidateTextEmbedderOptions(const TextEmbedderOptions& options);

struct TextDocument {
  std::string id;
  std::string text;
};

// A sparse TF-IDF vector: (feature index, weight), by index, L2 norm 1 (empty when no feature
// of the text is in the vocabulary).
using SparseTerms = std::vector<std::pair<uint32_t, float>>;

class TextEmbedder {
 public:
  static constexpr std::string_view kKind = "textvec";

  // FailedPrecondition when no document has a feature of the vocabulary (nothing to fit).
  static Result<TextEmbedder> Fit(std::span<const TextDocument> documents,
                                  const TextEmbedderOptions& options);

  size_t dimension() const { return dimension_; }
  size_t vocabulary_size() const { return vocabulary_.size(); }
  size_t documents() const { return documents_; }  // N at fit time
  const std::vector<std::string>& vocabulary() const { return vocabulary_; }
  std::span<const float> idf() const { return idf_; }
  const TextFeatureOptions& feature_options() const { return features_; }

  SparseTerms Weights(std::string_view text) const;
  // The unit vector of `text` (size dimension()); empty when the text has no known feature.
  std::vector<float> Embed(std::string_view text) const;

  // The HNSW graph of the catalogue's text vectors as fitted (AnnIndex::SaveGraph; its label i is
  // the item graph_items()[i]), built with `graph_options()`' m and ef_construction. Saved with
  // the model, so a server loads it instead of building it; empty when not built.
  const std::string& graph() const { return graph_; }
  const std::vector<std::string>& graph_items() const { return graph_items_; }
  const AnnOptions& graph_options() const { return graph_options_; }
  void set_graph(std::string graph, std::vector<std::string> items, AnnOptions options) {
    graph_ = std::move(graph);
    graph_items_ = std::move(items);
    graph_options_ = options;
  }

  // Payload version 1: u32 1, u32 ngram_min, u32 ngram_max, u32 dimension, u64 documents,
  // vocabulary (strings), idf (f32, one per feature), projection (f32, V × dimension, row-major).
  // Version 2 (with a graph): the same after u32 2, then u32 m, u32 ef_construction, the graph's
  // items (strings) and the graph (bytes).
  std::string Serialize() const;
  static Result<TextEmbedder> Deserialize(std::string_view payload);
  Status Save(const std::filesystem::path& path, TimestampUs created) const {
    return SaveModel(*this, path, created);
  }
  static Result<TextEmbedder> Load(const std::filesystem::path& path) {
    return LoadModelFile<TextEmbedder>(path);
  }
  const ModelInfo& info() const { return info_; }
  void set_info(ModelInfo info) { info_ = std::move(info); }

 private:
  void IndexVocabulary();

  TextFeatureOptions features_;
  size_t dimension_ = 0;
  size_t documents_ = 0;
  std::vector<std::string> vocabulary_;
  std::unordered_map<std::string, uint32_t> index_;  // feature -> position in vocabulary_
  std::vector<float> idf_;
  std::vector<float> projection_;  // V × dimension, row-major
  ModelInfo info_;
  std::string graph_;
  std::vector<std::string> graph_items_;
  AnnOptions graph_options_;
};

}  // namespace reco::content
