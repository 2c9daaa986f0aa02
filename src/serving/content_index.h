// ContentIndexes: one tenant's item vectors, by kind — "text" (the built-in text embedder of the
// served model version), "supplied" (the catalogue's own vectors, in the label
// content.supplied_label, Gorse's `embedding`) and "clip" (CLIP image vectors in the label
// content.clip_label, written by the item_images job, content/image_vectors.h) — each in an ANN
// index (content/ann_index.h) keyed by catalogue index. Answers the content neighbours of an
// item.
//
// Freshness without retraining: every item write the CatalogueService accepts is applied here at
// once — a new or changed item is embedded with the served text model's vocabulary and projection
// and its supplied vector read from its labels, a deleted item leaves every index. A reload of the
// primary model version installs its text model and rebuilds the indexes from the store (the
// text index starts from the graph saved in the text model when it has one and fits this
// server's HNSW options, re-inserting only items whose text changed; docs/content.md gives the
// times); writes that arrive
// during a rebuild are replayed onto the new indexes before they are swapped in.
//
// Thread-safety: every method is safe to call concurrently. Lifetime: borrows the Store, the
// OnlineState and the Clock, which must outlive it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "content/ann_index.h"
#include "content/text_embedder.h"
#include "core/config.h"
#include "core/status.h"
#include "core/time.h"
#include "serving/online_state.h"
#include "serving/recommender.h"
#include "store/store.h"

namespace reco {

struct ContentOptions {
  bool text_embedder = true;                 // content.text_embedder: serve "text" vectors
  std::string supplied_label = "embedding";  // content.supplied_label
  int supplied_dimension = 0;                // content.supplied_dimension; 0 = the first vector's
  std::string clip_label = "clip_embedding";  // content.clip_label; its dimension: the first's
  content::AnnOptions ann;                   // content.hnsw_*
  int num_threads = 0;                       // index building; 0 = number of cores
};

// content.* of the configuration.
ContentOptions ContentOptionsFrom(const ContentConfig& config);

// Where GET /api/item/{id}/neighbors takes its neighbours from (?source=).
enum class NeighborSource { kAuto, kCollaborative, kContent, kText, kSupplied, kClip };

// "auto" (also for ""), "collaborative", "content", "text", "supplied", "clip";
// InvalidArgument naming "source" otherwise.
Result<NeighborSource> ParseNeighborSource(std::string_view text);

struct ContentStats {
  std::string text_model;  // path of the installed text model ("" = none)
  size_t text_vectors = 0;
  std::string text_index;  // "saved": the text model's graph was loaded; "built"; "" = none
  size_t supplied_vectors = 0;
  size_t supplied_dimension = 0;
  size_t clip_vectors = 0;
  size_t clip_dimension = 0;
  double rebuild_seconds = 0;  // the last rebuild
};

class ContentIndexes {
 public:
  ContentIndexes(Store& store, OnlineState& state, const Clock& clock, ContentOptions options);

  const ContentOptions& options() const { return options_; }

  // After a reload of the primary: installs the text model of the loaded version (the registered
  // run `run_id`'s "textvec" artifact, or the newest textvec file of DATA_DIR/models when run_id
  // is "") and rebuilds. A text model that fails to load (checksum, format) is an error, and
  // the indexes are rebuilt without text vectors.
  Status Reload(const std::filesystem::path& data_dir, std::string_view run_id);
  // Installs `model` (null = no text vectors) and rebuilds every index from the store.
  Status Install(std::shared_ptr<const content::TextEmbedder> model,
                 std::filesystem::path model_path = {});
  Status Rebuild();

  // InvalidArgument naming "Labels.<supplied_label>" or "Labels.<clip_label>" (with the item's
  // position in a batch) when an item's vector is malformed or of another dimension than the
  // set's.
  Status CheckItems(std::span<const Item> items) const;
  // InvalidArgument naming `field` unless `vector` fits the supplied set.
  Status CheckSuppliedVector(std::span<const float> vector, std::string_view field) const;
  // After the store accepted the write.
  void ItemsWritten(std::span<const Item> items);
  void ItemChanged(std::string_view item_id);  // re-read from the store
  void ItemDeleted(std::string_view item_id);

  // The vector kinds an item has ("supplied", "clip", "text").
  bool HasVector(std::string_view kind, uint32_t item) const;
  // The content neighbours of `item_id` from the vectors of `kind` ("" = the item's supplied
  // vector when it has one, else its clip vector, else its text vector), best first, without the item itself and items the
  // catalogue does not recommend (hidden, deleted, outside `category`). NotFound for an unknown
  // item. An item without a vector of the kind answers an empty list with the degraded reason
  // "content_vector_missing".
  Result<RecommendResult> Similar(std::string_view item_id, std::string_view category, int n,
                                  int offset, std::string_view kind,
                                  std::string* kind_used = nullptr) const;
  // The same from a query vector (user-to-item recall from recent items).
  std::vector<ScoredIndex> Search(std::string_view kind, std::span<const float> query, size_t k,
                                  const std::function<bool(uint32_t)>& accept) const;
  std::optional<std::vector<float>> Vector(std::string_view kind, uint32_t item) const;

  ContentStats Stats() const;

 private:
  using Indexes = std::map<std::string, std::shared_ptr<content::AnnIndex>, std::less<>>;
  // The kinds read from an item label: supplied (0) and clip (1).
  struct LabelKind {
    std::string_view kind;
    std::string label;
    size_t fixed_dimension;  // 0 = the first vector's
  };
  static constexpr size_t kLabelKinds = 2;

  std::shared_ptr<content::AnnIndex> Index(std::string_view kind) const;
  // Applies one item (or its absence) to `indexes`.
  void ApplyItem(const Item& item, uint32_t label, const content::TextEmbedder* model,
                 Indexes& indexes);
  void ApplyLocked(std::string_view item_id);

  Store& store_;
  OnlineState& state_;
  const Clock& clock_;
  ContentOptions options_;

  std::mutex rebuild_mu_;  // one rebuild at a time
  std::mutex write_mu_;    // item writes and the swap of a rebuild
  bool rebuilding_ = false;
  std::vector<std::string> pending_;  // items written during a rebuild

  mutable std::shared_mutex mu_;  // guards the fields below
  Indexes indexes_;
  std::shared_ptr<const content::TextEmbedder> text_model_;
  std::string text_model_path_;
  std::array<LabelKind, kLabelKinds> label_kinds_;
  std::array<std::atomic<size_t>, kLabelKinds> label_dimensions_{};  // in force
  double rebuild_seconds_ = 0;
  std::string text_index_;
};

}  // namespace reco
