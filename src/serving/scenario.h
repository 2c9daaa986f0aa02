// Scenarios: how one placement (home feed, item detail, new-user onboarding, ...) is served —
// recall sources with quotas, filters, the optional learned ranker, a rerank step and the
// fallback chain. Recommender::RecommendScenario executes one; the Store keeps them as the JSON
// text ScenarioToJson writes (docs/scenarios.md describes every field).
//
// ParseScenario validates everything a client can get wrong and answers InvalidArgument whose
// field() names the field ("recall[2].source") and whose message says what is wrong with it.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.h"
#include "core/status.h"

namespace reco {

// Where candidates come from. Each reads the request's ModelBundle snapshot (or the live
// catalogue) and yields nothing when its model is not loaded.
enum class RecallSourceKind {
  kUserRecs,         // "recs": the user's precomputed list of the tuned algorithm
  kSwing,            // "swing": the same lists, only when the tuned algorithm is swing
  kItemCf,           // "itemcf": item-CF over the user's recent positive history
  kPopular,          // "popular" (also "hot"): popularity model plus live counters
  kCategoryPopular,  // "category_popular": popular items of the user's favourite categories
  kLatest,           // "latest": the newest items of the catalogue
  kVector,           // "vector": items closest to the vectors of the user's recent positives
};

// The name a source is written with ("hot" reads as kPopular and is written "popular").
std::string_view RecallSourceName(RecallSourceKind kind);

struct RecallSpec {
  RecallSourceKind source = RecallSourceKind::kPopular;
  int quota = 50;  // candidates this source may contribute, 1..kMaxQuota
};

enum class LabelMatch { kAny, kAll };

struct ScenarioFilters {
  // Only items with at least one of these categories (empty: every category).
  std::vector<std::string> categories;
  // Only items with any / all of these labels (serving/item_labels.h; empty: no label filter).
  std::vector<std::string> labels;
  LabelMatch labels_match = LabelMatch::kAny;
  bool exclude_seen = true;   // items the user gave any feedback
  bool session_dedup = true;  // with ?session=, items served on earlier pages of the session
  // Hidden and deleted items are never served; the field exists so that a configuration says
  // so, and only true is accepted.
  bool exclude_hidden = true;
};

enum class RankerKind {
  kNone,     // candidates keep the order of recall (sources in order, each best first)
  kLearned,  // "ranker": ordered by the learned ranker's scores (its precomputed lists)
};

enum class RerankKind { kNone, kDiversity, kMmr };

struct RerankSpec {
  RerankKind kind = RerankKind::kNone;
  int window = 10;           // the top `window` positions are reranked
  int max_per_category = 2;  // diversity: at most this many items of one category in the window
  double lambda = 0.7;       // MMR: weight of relevance against similarity, [0, 1]
};

struct ScenarioConfig {
  std::string name;
  std::string description;
  std::string template_name;       // the built-in template it was made from ("" = none)
  std::vector<RecallSpec> recall;  // in order; 1..kMaxRecallSources sources, each at most once
  ScenarioFilters filters;
  RankerKind ranker = RankerKind::kNone;
  RerankSpec rerank;
  // Filled in order when recall leaves the list short; each source at most once.
  std::vector<RecallSourceKind> fallback = {RecallSourceKind::kCategoryPopular,
                                            RecallSourceKind::kPopular, RecallSourceKind::kLatest};
};

inline constexpr int kMaxQuota = 10000;
inline constexpr size_t kMaxRecallSources = 8;
inline constexpr size_t kMaxFilterValues = 64;
inline constexpr int kMaxRerankWindow = 1000;
inline constexpr size_t kMaxScenarioNameBytes = 64;

// InvalidArgument naming "name" unless `name` is 1..64 of [A-Za-z0-9_.-] and not one of the
// names the exposure log gives the plain routes ("recommend", "popular", "latest").
Status CheckScenarioName(std::string_view name);

// Parses and validates a scenario configuration (JSON object): PUT /api/v1/scenarios/{name}.
// `name` is the scenario's name (the body may repeat it, but must not hold another). Fields left
// out take the defaults above; `recall` is required.
Result<ScenarioConfig> ParseScenario(std::string_view json, std::string_view name);
// POST /api/v1/scenarios: the body names the scenario ("name", required) and may name a
// built-in template ("template"), whose configuration the other fields of the body then edit
// (`recall` is required only without a template).
Result<ScenarioConfig> ParseNewScenario(std::string_view json);
// Every field, defaults included; ParseScenario(ScenarioToJson(s), s.name) gives `s` back.
std::string ScenarioToJson(const ScenarioConfig& scenario);
// The same fields into an object `w` has begun (the REST answers add their own).
void WriteScenarioFields(JsonWriter& w, const ScenarioConfig& scenario);

// A built-in starting point that a tenant copies into a scenario of its own and edits.
struct ScenarioTemplate {
  std::string name;
  std::string title;
  ScenarioConfig scenario;  // its name is the template's
};
const std::vector<ScenarioTemplate>& BuiltInTemplates();
const ScenarioTemplate* FindTemplate(std::string_view name);

}  // namespace reco
