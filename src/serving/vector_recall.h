// VectorRecall: user-to-item recall from item vectors — the scenario source "vector" and the
// optional vector share of the plain recommend route. The query is the user's content profile:
// the recency-weighted mean of the unit vectors of the user's most recent positive items, each
// item by its best kind (its supplied vector when it has one, else its text vector). One profile
// per kind is searched in that kind's HNSW index (serving/content_index.h) and the hits are
// merged by cosine, so a catalogue with supplied vectors for some items and text for the rest
// recalls from both.
//
// Why a mean and not one search per history item: on ml-latest-small the mean of the recent
// items finds the withheld items better (docs/quality.md, cold items), and it costs one search
// per kind instead of one per history item.
//
// Thread-safety: const methods, safe from any number of request threads. Lifetime: borrows the
// ContentIndexes, which must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/config.h"
#include "serving/bundle.h"
#include "serving/content_index.h"

namespace reco {

struct VectorRecallOptions {
  // The user's most recent positive items that make the query (content.user_recall_history).
  int history = 20;
  // Weight of the k-th most recent of them is recency_decay^k (k = 0 for the newest), as in
  // item-CF recall.
  double recency_decay = 0.95;
  // Share of the plain recommend list filled by vector recall (content.user_recall_share).
  double share = 0.0;
};

// content.user_recall_* of the configuration.
VectorRecallOptions VectorRecallOptionsFrom(const ContentConfig& config);

// What a recall found, and why it may have found nothing.
struct VectorRecallResult {
  std::vector<ScoredIndex> items;  // best first, at most k; score = cosine to the profile
  // No history item has a vector of any kind: "content_vector_missing" is the caller's reason.
  bool no_vectors = false;
};

class VectorRecall {
 public:
  VectorRecall(const ContentIndexes& content, VectorRecallOptions options);

  const VectorRecallOptions& options() const { return options_; }

  // The k items closest to the content profile of `history` (catalogue indices, oldest first),
  // among those `accept` takes (null: every item); history items are never returned.
  VectorRecallResult Recall(std::span<const uint32_t> history, size_t k,
                            const std::function<bool(uint32_t)>& accept) const;

  // The positions of a list of `want` items that the plain route gives to vector recall.
  size_t PlainQuota(size_t want) const;

 private:
  const ContentIndexes& content_;
  VectorRecallOptions options_;
};

}  // namespace reco
