#include "algo/content_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "content/text_features.h"
#include "content/vectors.h"
#include "eval/metrics.h"
#include "eval/protocol.h"

namespace reco::algo {
namespace {

constexpr float kNoScore = -std::numeric_limits<float>::infinity();

// The fields of one CSV record (double quotes around a field may hold commas and "" quotes).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

// movieId -> its tags, one line each, from tags.csv (userId,movieId,tag,timestamp).
std::unordered_map<std::string, std::string> ReadTags(const std::filesystem::path& path) {
  std::unordered_map<std::string, std::string> tags;
  std::ifstream in(path);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> f = CsvFields(line);
    if (f.size() < 3 || f[2].empty()) continue;
    std::string& text = tags[f[1]];
    text += (text.empty() ? "" : "\n") + f[2];
  }
  return tags;
}

// Unit text vectors of the dataset's items (row-major, num_items × dimension) and which exist.
struct ItemVectors {
  size_t dimension = 0;
  std::vector<float> values;
  std::vector<uint8_t> present;
  std::span<const float> Of(uint32_t item) const {
    return std::span<const float>(values).subspan(item * dimension, dimension);
  }
};

// Fits the embedder on the documents whose item `fit_on` accepts, and embeds every item.
Result<ItemVectors> EmbedItems(const Dataset& data, const std::vector<content::TextDocument>& texts,
                               const std::function<bool(uint32_t)>& fit_on,
                               const content::TextEmbedderOptions& options) {
  std::vector<content::TextDocument> fit_docs;
  std::vector<const content::TextDocument*> by_item(data.num_items(), nullptr);
  for (const content::TextDocument& doc : texts) {
    const uint32_t item = data.ItemIndex(doc.id);
    if (item == Dataset::kNoIndex) {
      if (fit_on(Dataset::kNoIndex)) fit_docs.push_back(doc);  // catalogue items never rated
      continue;
    }
    by_item[item] = &doc;
    if (fit_on(item)) fit_docs.push_back(doc);
  }
  RECO_ASSIGN_OR_RETURN(content::TextEmbedder model, content::TextEmbedder::Fit(fit_docs, options));
  ItemVectors v;
  v.dimension = model.dimension();
  v.values.assign(data.num_items() * v.dimension, 0.0f);
  v.present.assign(data.num_items(), 0);
  for (uint32_t i = 0; i < data.num_items(); ++i) {
    if (by_item[i] == nullptr) continue;
    std::vector<float> e = model.Embed(by_item[i]->text);
    if (e.size() != v.dimension) continue;
    std::copy(e.begin(), e.end(), v.values.begin() + i * v.dimension);
    v.present[i] = 1;
  }
  return v;
}

// The serving profile: the recency-weighted mean of the vectors of the `history` newest of
// `items` (by `times`), normalised; empty when none has a vector.
std::vector<float> Profile(const ItemVectors& v, std::span<const uint32_t> items,
                           std::span<const TimestampUs> times, const ContentEvalOptions& o) {
  std::vector<size_t> order(items.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return times[a] != times[b] ? times[a] > times[b] : items[a] > items[b];
  });
  std::vector<float> profile(v.dimension, 0.0f);
  double weight = 1.0;
  size_t used = 0;
  bool any = false;
  for (size_t k = 0; k < order.size() && used < static_cast<size_t>(o.history); ++k) {
    const uint32_t item = items[order[k]];
    if (v.present[item] != 0) {
      std::span<const float> x = v.Of(item);
      for (size_t d = 0; d < v.dimension; ++d) profile[d] += static_cast<float>(weight) * x[d];
      any = true;
    }
    ++used;
    weight *= o.recency_decay;
  }
  if (!any || !content::NormalizeInPlace(profile)) return {};
  return profile;
}

float Cosine(const ItemVectors& v, std::span<const float> profile, uint32_t item) {
  if (profile.empty() || v.present[item] == 0) return kNoScore;
  std::span<const float> x = v.Of(item);
  float dot = 0;
  for (size_t d = 0; d < v.dimension; ++d) dot += profile[d] * x[d];
  return dot;
}

// The `k` best of `candidates` by `score` (ties: lower index first).
std::vector<uint32_t> TopK(std::vector<uint32_t> candidates, const std::vector<float>& score,
                           size_t k) {
  k = std::min(k, candidates.size());
  std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(k),
                    candidates.end(), [&](uint32_t a, uint32_t b) {
                      return score[a] != score[b] ? score[a] > score[b] : a < b;
                    });
  candidates.resize(k);
  return candidates;
}

struct Sums {
  double recall = 0, ndcg = 0, hit = 0;
  size_t users = 0;
  void Add(std::span<const uint32_t> ranked, std::span<const uint32_t> relevant, size_t k) {
    const eval::UserMetricValues m = eval::ComputeUserMetrics(ranked, relevant, k);
    recall += m[static_cast<size_t>(eval::Metric::kRecall)];
    ndcg += m[static_cast<size_t>(eval::Metric::kNdcg)];
    hit += m[static_cast<size_t>(eval::Metric::kHitRate)];
    ++users;
  }
  ContentEvalRow Row(std::string method) const {
    const double n = users == 0 ? 1.0 : static_cast<double>(users);
    return {std::move(method), recall / n, ndcg / n, hit / n};
  }
};

}  // namespace

Result<std::vector<content::TextDocument>> ItemTexts(const std::filesystem::path& data,
                                                     ingest::ImportFormat format) {
  ingest::ImportBatch batch;
  std::vector<ingest::ImportIssue> issues;
  RECO_RETURN_IF_ERROR(ingest::ReadSource(data, format, {}, batch, issues));
  std::unordered_map<std::string, std::string> tags;
  if (std::filesystem::is_directory(data) && std::filesystem::exists(data / "tags.csv")) {
    tags = ReadTags(data / "tags.csv");
  }
  std::vector<content::TextDocument> docs;
  docs.reserve(batch.items.size());
  for (const Item& item : batch.items) {
    std::string text = content::ItemText(item);
    if (auto it = tags.find(item.item_id); it != tags.end()) text += "\n" + it->second;
    docs.push_back({item.item_id, std::move(text)});
  }
  if (docs.empty()) return InvalidArgument("no item with text in " + data.string(), "data");
  return docs;
}

Result<ColdItemsReport> EvaluateColdItems(const Dataset& all,
                                          const std::vector<content::TextDocument>& texts,
                                          const ContentEvalOptions& o) {
  if (!(o.item_fraction > 0 && o.item_fraction < 1)) {
    return InvalidArgument("--test-fraction must be in (0, 1)", "test_fraction");
  }
  ColdItemsReport report;
  report.items = all.num_items();
  // Withhold a random share of the items that have positives.
  std::vector<uint32_t> rated;
  for (uint32_t i = 0; i < all.num_items(); ++i) {
    if (!all.ItemUsers(i).empty()) rated.push_back(i);
  }
  std::mt19937_64 rng(o.seed);
  std::shuffle(rated.begin(), rated.end(), rng);
  rated.resize(static_cast<size_t>(std::llround(o.item_fraction * static_cast<double>(rated.size()))));
  std::vector<uint8_t> withheld(all.num_items(), 0);
  for (uint32_t i : rated) withheld[i] = 1;
  std::vector<uint32_t> cold = rated;
  std::sort(cold.begin(), cold.end());
  report.withheld_items = cold.size();
  // The embedder never sees a withheld item's text while fitting.
  RECO_ASSIGN_OR_RETURN(
      ItemVectors vectors,
      EmbedItems(all, texts,
                 [&](uint32_t item) { return item == Dataset::kNoIndex || withheld[item] == 0; },
                 o.text));
  for (uint32_t i : cold) report.withheld_with_text += vectors.present[i];

  // Popularity of a withheld item among the other users: what a cold start does not know (an
  // upper reference for any ranking that ignores the user).
  std::vector<float> popularity(all.num_items(), 0.0f);
  for (uint32_t i : cold) popularity[i] = static_cast<float>(all.ItemUsers(i).size());

  Sums text_recent, text_all, text_max, random, popular;
  std::vector<float> score(all.num_items(), kNoScore);
  std::vector<float> pop_score(all.num_items(), kNoScore);
  std::vector<float> max_score(all.num_items(), kNoScore);
  std::vector<float> all_score(all.num_items(), kNoScore);
  std::vector<float> random_score(all.num_items(), 0.0f);
  ContentEvalOptions everything = o;
  everything.history = std::numeric_limits<int>::max();
  ContentEvalOptions single = o;
  single.history = 1;
  for (uint32_t u = 0; u < all.num_users(); ++u) {
    std::vector<uint32_t> train_items, test_items;
    std::vector<TimestampUs> train_times;
    std::span<const uint32_t> items = all.UserItems(u);
    std::span<const TimestampUs> times = all.UserItemTimes(u);
    for (size_t k = 0; k < items.size(); ++k) {
      if (withheld[items[k]] != 0) {
        test_items.push_back(items[k]);
      } else {
        train_items.push_back(items[k]);
        train_times.push_back(times[k]);
      }
    }
    if (test_items.empty() || train_items.empty()) continue;
    ++report.users;
    report.test_positives += test_items.size();
    const std::vector<float> recent = Profile(vectors, train_items, train_times, o);
    const std::vector<float> whole = Profile(vectors, train_items, train_times, everything);
    // One search per recent item, merged by the best cosine.
    std::vector<std::vector<float>> singles;
    {
      std::vector<size_t> order(train_items.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return train_times[a] != train_times[b] ? train_times[a] > train_times[b]
                                                : train_items[a] > train_items[b];
      });
      for (size_t k = 0; k < order.size() && k < static_cast<size_t>(o.history); ++k) {
        const uint32_t h = train_items[order[k]];
        if (vectors.present[h] == 0) continue;
        std::span<const float> x = vectors.Of(h);
        singles.emplace_back(x.begin(), x.end());
      }
    }
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (uint32_t i : cold) {
      score[i] = Cosine(vectors, recent, i);
      all_score[i] = Cosine(vectors, whole, i);
      float best = kNoScore;
      for (const std::vector<float>& s : singles) best = std::max(best, Cosine(vectors, s, i));
      max_score[i] = best;
      random_score[i] = uniform(rng);
      // Leave the user's own interactions out of the popularity it is scored with.
      pop_score[i] = popularity[i] -
                     (std::binary_search(test_items.begin(), test_items.end(), i) ? 1.0f : 0.0f);
    }
    text_recent.Add(TopK(cold, score, o.k), test_items, o.k);
    text_all.Add(TopK(cold, all_score, o.k), test_items, o.k);
    text_max.Add(TopK(cold, max_score, o.k), test_items, o.k);
    random.Add(TopK(cold, random_score, o.k), test_items, o.k);
    popular.Add(TopK(cold, pop_score, o.k), test_items, o.k);
  }
  if (report.users == 0) return FailedPrecondition("no user has positives on both sides");
  report.rows = {
      random.Row("random"),
      popular.Row("popularity of the withheld items (oracle: their own interactions)"),
      text_recent.Row("text vectors, mean of the " + std::to_string(o.history) +
                      " most recent positives (serving)"),
      text_all.Row("text vectors, mean of every training positive"),
      text_max.Row("text vectors, best match of one of the " + std::to_string(o.history) +
                   " most recent positives"),
  };
  return report;
}

Result<WarmStartReport> EvaluateWarmStart(const Dataset& all,
                                          const std::vector<content::TextDocument>& texts,
                                          const ScorerFit& fit, const ContentEvalOptions& o) {
  RECO_ASSIGN_OR_RETURN(eval::EvalSplit split,
                        eval::SplitRandom(all, o.test_fraction, o.seed));
  // Every item is in the catalogue when the model is trained: the embedder reads all texts.
  RECO_ASSIGN_OR_RETURN(ItemVectors vectors,
                        EmbedItems(all, texts, [](uint32_t) { return true; }, o.text));
  RECO_ASSIGN_OR_RETURN(std::unique_ptr<eval::Scorer> scorer, fit(split.train));
  const size_t n = split.train.num_items();
  std::vector<Sums> per_share(o.shares.size());
  Sums alone;
  std::vector<float> scores(n);
  std::vector<float> cosine(n);
  std::vector<uint32_t> candidates;
  for (const eval::HeldOutUser& held : split.users) {
    std::span<const uint32_t> history = split.train.UserItems(held.user);
    scorer->Score(held.user, history, scores);
    const std::vector<float> profile =
        Profile(vectors, history, split.train.UserItemTimes(held.user), o);
    candidates.clear();
    for (uint32_t i = 0; i < n; ++i) {
      if (!std::binary_search(history.begin(), history.end(), i)) candidates.push_back(i);
      cosine[i] = Cosine(vectors, profile, i);
    }
    const std::vector<uint32_t> model_top = TopK(candidates, scores, o.k);
    const std::vector<uint32_t> vector_top = TopK(candidates, cosine, 2 * o.k);
    alone.Add(std::vector<uint32_t>(vector_top.begin(),
                                    vector_top.begin() +
                                        static_cast<std::ptrdiff_t>(std::min(o.k, vector_top.size()))),
              held.test, o.k);
    for (size_t s = 0; s < o.shares.size(); ++s) {
      // The plain route: the model's list first, the last round(share·k) places to vectors.
      size_t quota = 0;
      if (o.shares[s] > 0) {
        quota = std::min(o.k, static_cast<size_t>(std::max(
                                  std::round(o.shares[s] * static_cast<double>(o.k)), 1.0)));
      }
      std::vector<uint32_t> list(model_top.begin(),
                                 model_top.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                         o.k - quota, model_top.size())));
      for (uint32_t item : vector_top) {
        if (list.size() >= o.k) break;
        if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
      }
      per_share[s].Add(list, held.test, o.k);
    }
  }
  WarmStartReport report;
  report.users = split.users.size();
  for (size_t s = 0; s < o.shares.size(); ++s) {
    char label[96];
    std::snprintf(label, sizeof(label), "model + vector recall, share %.2f", o.shares[s]);
    report.rows.push_back(per_share[s].Row(o.shares[s] == 0 ? "model alone (share 0)" : label));
  }
  report.rows.push_back(alone.Row("vector recall alone"));
  return report;
}

}  // namespace reco::algo
