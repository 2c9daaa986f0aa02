// Offline measurement of user-to-item vector recall (docs/quality.md, "Content vectors"):
//
// - Cold items: a share of the items with positives is withheld from training entirely (their
//   interactions are removed, the text embedder is fitted without their text and embeds it
//   afterwards, as serving does for a new item). Each user with positives on both sides is
//   scored over the withheld items only, from the positives left in training; Recall@K and
//   NDCG@K over the withheld items for the text vectors against random and popularity.
// - Warm start: a per-user random split (eval/protocol.h, the split of `reco eval --protocol
//   random`), a fitted model's top K with the last round(share·K) places given to vector recall
//   (content.user_recall_share of the plain route), for several shares.
//
// The profile is the serving one (serving/vector_recall.h): the recency-weighted mean of the
// unit text vectors of the user's `history` most recent training positives, decay 0.95. Offline
// the search is exact (cosine with every candidate); the HNSW index answers the same top lists
// to recall 0.9999 on this catalogue (docs/content.md).
//
// Thread-safety: the functions are thread-safe; each call owns what it builds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "content/text_embedder.h"
#include "core/status.h"
#include "data/dataset.h"
#include "eval/scorer_interface.h"
#include "ingest/sources.h"

namespace reco::algo {

// The text of every item of a MovieLens-style folder, by item id: the item's text as the
// embedder reads it (title, genres) plus its tags from tags.csv when the folder has one.
Result<std::vector<content::TextDocument>> ItemTexts(const std::filesystem::path& data,
                                                     ingest::ImportFormat format);

struct ContentEvalOptions {
  double item_fraction = 0.2;  // cold items: share of the items with positives withheld
  double test_fraction = 0.2;  // warm start: share of each user's positives held out
  uint64_t seed = 1;
  size_t k = 20;
  int history = 20;  // the recent positives of the profile (content.user_recall_history)
  double recency_decay = 0.95;
  std::vector<double> shares = {0.0, 0.05, 0.1, 0.2};  // warm start: vector recall's share
  content::TextEmbedderOptions text;
};

// One row of a table: a method and its mean metrics over the evaluated users.
struct ContentEvalRow {
  std::string method;
  double recall = 0;  // hits / |held-out| (LightGCN), at k
  double ndcg = 0;
  double hit_rate = 0;
};

struct ColdItemsReport {
  size_t items = 0;           // items of the data
  size_t withheld_items = 0;  // withheld from training
  size_t withheld_with_text = 0;
  size_t users = 0;           // evaluated users
  size_t test_positives = 0;  // their positives on withheld items
  std::vector<ContentEvalRow> rows;
};

// `all` and `texts` describe the same items (by id; an item without text has no vector).
Result<ColdItemsReport> EvaluateColdItems(const Dataset& all,
                                          const std::vector<content::TextDocument>& texts,
                                          const ContentEvalOptions& options);

struct WarmStartReport {
  size_t users = 0;
  std::vector<ContentEvalRow> rows;  // one per share, then vector recall alone
};

// `fit` fits the model to add vector recall to on the training part of the split.
using ScorerFit = std::function<Result<std::unique_ptr<eval::Scorer>>(const Dataset& train)>;
Result<WarmStartReport> EvaluateWarmStart(const Dataset& all,
                                          const std::vector<content::TextDocument>& texts,
                                          const ScorerFit& fit, const ContentEvalOptions& options);

}  // namespace reco::algo
