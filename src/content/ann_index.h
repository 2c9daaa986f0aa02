// AnnIndex: an approximate nearest-neighbour index of unit vectors by inner product (= cosine),
// on hnswlib's HNSW graph (Debian libhnswlib-dev), with incremental adds, replacements and
// removals. Labels are the caller's (reco uses the catalogue index of the item).
//
// Filters: hnswlib 0.6 has no filter in searchKnn, so Search fetches candidates in growing
// rounds (k·2, then ×4 each round, up to every live vector) and keeps those `accept` takes —
// adaptive over-fetch. Removed vectors are marked deleted in the graph (hnswlib's markDelete),
// so they are never returned and a re-added label is revived in place.
//
// Thread-safety: every method is safe to call concurrently; searches share a lock, writes
// (Upsert, Remove, AddBatch) take it exclusively. Not copyable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace reco::content {

struct AnnOptions {
  int m = 16;                 // graph degree (hnswlib M), 2..100
  int ef_construction = 200;  // candidate list while inserting, >= m
  int ef_search = 64;         // candidate list while searching (raised to k when k is larger)
  uint64_t seed = 100;
};

// InvalidArgument naming content.hnsw_*.
Status ValidateAnnOptions(const AnnOptions& options);

struct AnnHit {
  uint32_t label;
  float score;  // inner product with the query
};

class AnnIndex {
 public:
  // `dimension` in 1..4096.
  AnnIndex(size_t dimension, AnnOptions options = {});
  ~AnnIndex();
  AnnIndex(const AnnIndex&) = delete;
  AnnIndex& operator=(const AnnIndex&) = delete;

  size_t dimension() const { return dimension_; }
  // Changes the candidate list of later searches (>= 1; waits for running searches).
  void SetEfSearch(size_t ef);
  size_t size() const;  // live vectors

  // Adds or replaces the vector of `label` (normalised to unit length here). InvalidArgument
  // for a wrong size or a zero / non-finite vector.
  Status Upsert(uint32_t label, std::span<const float> vector);
  // Adds `labels.size()` vectors (`vectors` is labels.size() × dimension, row-major) with
  // `num_threads` threads (0 = number of cores); labels must be new and distinct.
  Status AddBatch(std::span<const uint32_t> labels, std::span<const float> vectors,
                  int num_threads = 0);
  // Removes `label`'s vector; false when it had none.
  bool Remove(uint32_t label);
  bool Contains(uint32_t label) const;
  // The stored (unit) vector of `label`.
  std::optional<std::vector<float>> Vector(uint32_t label) const;

  // The graph and its vectors in hnswlib's own format (saveIndex), for persisting with a model
  // version. Deleted vectors stay in it, marked.
  Result<std::string> SaveGraph() const;
  // An index from SaveGraph()'s bytes with the same `dimension`; each saved label is mapped
  // through `relabel` (nullopt = the vector is dropped: marked deleted, never returned). Labels
  // that map to the same new label keep only the first. DataLoss when the bytes are not such a
  // graph.
  static Result<std::unique_ptr<AnnIndex>> LoadGraph(
      size_t dimension, AnnOptions options, std::string_view bytes,
      const std::function<std::optional<uint32_t>(uint32_t)>& relabel);

  // The k best accepted labels by cosine with `query` (size dimension; normalised here), best
  // first; empty for a zero query.
  // `accept` null = every label.
  std::vector<AnnHit> Search(std::span<const float> query, size_t k,
                             const std::function<bool(uint32_t)>& accept = {}) const;
  // The same by scanning every vector: the reference ANN recall is measured against.
  std::vector<AnnHit> ExactSearch(std::span<const float> query, size_t k,
                                  const std::function<bool(uint32_t)>& accept = {}) const;

 private:
  // `query` as a unit vector, or nullopt when it cannot be searched (k = 0, wrong dimension,
  // zero or non-finite).
  std::optional<std::vector<float>> UnitQuery(std::span<const float> query, size_t k) const;
  void ReserveLocked(size_t more);
  Status UpsertLocked(uint32_t label, std::span<const float> unit);

  size_t dimension_;
  AnnOptions options_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<hnswlib::InnerProductSpace> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> graph_;
  size_t capacity_ = 0;
  // label -> row of vectors_ (live vectors only); rows of removed labels are reused.
  std::unordered_map<uint32_t, uint32_t> rows_;
  std::vector<uint32_t> row_labels_;  // row -> label (kNoLabel when free)
  std::vector<uint32_t> free_rows_;
  std::vector<float> vectors_;  // rows × dimension
};

}  // namespace reco::content
