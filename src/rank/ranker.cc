#include "rank/ranker.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/progress.h"
#include "core/threads.h"
#include "models/binary_io.h"

namespace reco::rank {
namespace {

// Version 2 added the content features (their columns, and the item content after the recent
// lists); version 1 payloads load with the columns they were trained with.
constexpr uint32_t kPayloadVersion = 2;

// The candidates of the training users, their features and labels, grouped by user.
struct TrainingRows {
  std::vector<float> features;  // rows * width, row-major
  std::vector<float> labels;    // 1 = in the user's label window
  std::vector<uint32_t> group_sizes;
};

struct UserRows {
  std::vector<float> features;
  std::vector<float> labels;
};

std::vector<int> EffectiveQuotas(const RankerOptions& options) {
  if (!options.quotas.empty()) return options.quotas;
  return std::vector<int>(options.sources.size(), options.quota);
}

const ItemCfModel* SimilarityModel(const std::vector<RecallSource>& sources) {
  for (const RecallSource& s : sources) {
    if (s.itemcf() != nullptr) return s.itemcf();
  }
  return nullptr;
}

std::vector<const RecallSource*> Pointers(const std::vector<RecallSource>& sources) {
  std::vector<const RecallSource*> out;
  for (const RecallSource& s : sources) out.push_back(&s);
  return out;
}

Result<std::vector<RecallSource>> FitSources(const RankerOptions& options, const Dataset& data,
                                             std::string_view stage) {
  std::vector<RecallSource> sources;
  for (const std::string& kind : options.sources) {
    if (options.show_progress) {
      std::fprintf(stderr, "ranker: fitting %s on %s\n", kind.c_str(), std::string(stage).c_str());
    }
    Result<RecallSource> source = options.fit_source
                                      ? options.fit_source(kind, data)
                                      : RecallSource::Fit(kind, data, options.source_options);
    if (!source.ok()) return source.status().WithPrefix("ranker source " + kind);
    if (source->num_items() != data.num_items()) {
      return Internal("ranker source " + kind + " scores " + std::to_string(source->num_items()) +
                      " items, the data has " + std::to_string(data.num_items()));
    }
    sources.push_back(std::move(source).value());
  }
  return sources;
}

// Candidates, features and labels of one user of the label split (empty when the user has no
// label or only labelled candidates: such groups teach LambdaMART nothing).
UserRows RowsOfUser(uint32_t u, const LabelSplit& split, const RecentItems& recent,
                    std::span<const RecallSource* const> sources, std::span<const int> quotas,
                    const FeatureSchema& schema, const FeatureInputs& inputs) {
  UserRows rows;
  const std::vector<uint32_t>& labels = split.labels[u];
  if (labels.empty()) return rows;
  UserContext user{split.earlier.UserItems(u), recent.Of(u)};
  CandidateSet candidates = GenerateCandidates(sources, quotas, user.history);
  size_t positives = 0;
  for (uint32_t item : candidates.items) {
    const bool hit = std::binary_search(labels.begin(), labels.end(), item);
    rows.labels.push_back(hit ? 1.0f : 0.0f);
    positives += hit ? 1 : 0;
  }
  if (positives == 0 || positives == candidates.size()) return {};
  rows.features = ComputeFeatures(schema, candidates, user, inputs);
  return rows;
}

TrainingRows BuildRows(const LabelSplit& split, const std::vector<RecallSource>& sources,
                       std::span<const int> quotas, const FeatureSchema& schema,
                       const RankerOptions& options) {
  const ItemStats items = ItemStats::FromDataset(split.earlier);
  const RecentItems recent = LatestItems(split.earlier, options.recent_items);
  const FeatureInputs inputs{&items, SimilarityModel(sources), options.content.get()};
  const std::vector<const RecallSource*> ptrs = Pointers(sources);
  const size_t num_users = split.earlier.num_users();
  std::vector<UserRows> per_user(num_users);
  Progress progress("ranker: training candidates", num_users, "users", options.show_progress);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t u = next++; u < num_users; u = next++) {
      per_user[u] =
          RowsOfUser(static_cast<uint32_t>(u), split, recent, ptrs, quotas, schema, inputs);
      progress.Add(1);
    }
  };
  std::vector<std::thread> threads;
  const int n = ThreadCount(options.num_threads, num_users);
  for (int t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  progress.Finish();
  TrainingRows rows;
  for (UserRows& r : per_user) {
    if (r.labels.empty()) continue;
    rows.group_sizes.push_back(static_cast<uint32_t>(r.labels.size()));
    rows.features.insert(rows.features.end(), r.features.begin(), r.features.end());
    rows.labels.insert(rows.labels.end(), r.labels.begin(), r.labels.end());
  }
  return rows;
}

Result<XgbBooster> TrainBooster(const TrainingRows& rows, size_t width,
                                const RankerOptions& options) {
  RECO_ASSIGN_OR_RETURN(XgbMatrix train,
                        XgbMatrix::FromDense(rows.features, rows.labels.size(), width));
  RECO_RETURN_IF_ERROR(train.SetLabels(rows.labels));
  RECO_RETURN_IF_ERROR(train.SetGroups(rows.group_sizes));
  RECO_ASSIGN_OR_RETURN(XgbBooster booster, XgbBooster::Create(train));
  const std::pair<const char*, std::string> params[] = {
      {"objective", "rank:ndcg"},
      {"tree_method", "hist"},
      {"max_depth", std::to_string(options.depth)},
      {"eta", std::to_string(options.eta)},
      {"seed", std::to_string(options.seed)},
      {"nthread", std::to_string(ThreadCount(options.num_threads, rows.labels.size()))},
      {"verbosity", "0"},
  };
  for (const auto& [name, value] : params) RECO_RETURN_IF_ERROR(booster.SetParam(name, value));
  Progress progress("ranker: boosting", static_cast<uint64_t>(options.rounds), "rounds",
                    options.show_progress);
  for (int round = 0; round < options.rounds; ++round) {
    RECO_RETURN_IF_ERROR(booster.UpdateOneIter(round, train));
    progress.Add(1);
  }
  progress.Finish();
  return booster;
}

std::vector<std::string> SourceKinds(const std::vector<RecallSource>& sources) {
  std::vector<std::string> kinds;
  for (const RecallSource& s : sources) kinds.push_back(s.kind());
  return kinds;
}

}  // namespace

Status CheckRankerOptions(const RankerOptions& o) {
  if (o.sources.empty()) return InvalidArgument("ranker.sources: at least one source", "sources");
  for (size_t i = 0; i < o.sources.size(); ++i) {
    const std::vector<std::string>& known = KnownSourceKinds();
    if (std::find(known.begin(), known.end(), o.sources[i]) == known.end()) {
      return InvalidArgument("ranker.sources: unknown source \"" + o.sources[i] +
                                 "\" (accepted: popular, itemcf, rp3beta, ials, ease)",
                             "sources");
    }
    if (std::find(o.sources.begin(), o.sources.begin() + i, o.sources[i]) !=
        o.sources.begin() + i) {
      return InvalidArgument("ranker.sources: \"" + o.sources[i] + "\" is listed twice", "sources");
    }
  }
  if (!o.quotas.empty() && o.quotas.size() != o.sources.size()) {
    return InvalidArgument("ranker.quota: one quota per source or a single one", "quota");
  }
  for (int q : EffectiveQuotas(o)) {
    if (q <= 0) return InvalidArgument("ranker.quota must be > 0", "quota");
  }
  if (o.rounds <= 0) return InvalidArgument("ranker.rounds must be > 0", "rounds");
  if (o.depth < 1 || o.depth > 16)
    return InvalidArgument("ranker.depth must be in [1, 16]", "depth");
  if (!(o.eta > 0 && o.eta <= 1)) return InvalidArgument("ranker.eta must be in (0, 1]", "eta");
  if (!(o.label_fraction > 0 && o.label_fraction < 1)) {
    return InvalidArgument("ranker.label_fraction must be in (0, 1)", "label_fraction");
  }
  if (o.recent_items < 0)
    return InvalidArgument("ranker.recent_items must be >= 0", "recent_items");
  if (o.num_threads < 0) return InvalidArgument("ranker.threads must be >= 0", "threads");
  return Status::Ok();
}

RankerModel::RankerModel(std::vector<RecallSource> sources, XgbBooster booster,
                         std::string booster_bytes, bool content_features)
    : sources_(std::move(sources)),
      schema_(SourceKinds(sources_), content_features),
      booster_(std::make_unique<XgbBooster>(std::move(booster))),
      booster_bytes_(std::move(booster_bytes)) {}

ItemContent BuildItemContent(const Dataset& dataset, std::span<const content::TextDocument> texts,
                             const content::TextEmbedder& embedder) {
  ItemContent c;
  const size_t n = dataset.num_items();
  c.dimension = embedder.dimension();
  c.vectors.assign(n * c.dimension, 0.0f);
  c.has_vector.assign(n, 0);
  c.word_idf.assign(embedder.idf().begin(), embedder.idf().end());
  std::vector<std::vector<uint32_t>> words(n);
  for (const content::TextDocument& doc : texts) {
    const uint32_t item = dataset.ItemIndex(doc.id);
    if (item == Dataset::kNoIndex) continue;
    std::vector<float> v = embedder.Embed(doc.text);
    if (v.size() == c.dimension) {
      std::copy(v.begin(), v.end(), c.vectors.begin() + item * c.dimension);
      c.has_vector[item] = 1;
    }
    words[item].clear();
    for (const auto& [feature, weight] : embedder.Weights(doc.text)) {
      if (embedder.vocabulary()[feature].starts_with("w:")) words[item].push_back(feature);
    }
    std::sort(words[item].begin(), words[item].end());
  }
  c.word_offsets.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    c.words.insert(c.words.end(), words[i].begin(), words[i].end());
    c.word_offsets[i + 1] = c.words.size();
  }
  return c;
}

Status RankerModel::SetContent(std::shared_ptr<const ItemContent> content) {
  if (content != nullptr && content->num_items() != num_items()) {
    return InvalidArgument("ranker content covers " + std::to_string(content->num_items()) +
                               " items, the model " + std::to_string(num_items()),
                           "content");
  }
  content_ = std::move(content);
  return Status::Ok();
}

Result<RankerModel> RankerModel::Fit(const Dataset& dataset, const RankerOptions& options) {
  RECO_RETURN_IF_ERROR(CheckRankerOptions(options));
  if (options.content != nullptr && options.content->num_items() != dataset.num_items()) {
    return InvalidArgument("ranker content covers " +
                               std::to_string(options.content->num_items()) +
                               " items, the data " + std::to_string(dataset.num_items()),
                           "content");
  }
  const std::vector<int> quotas = EffectiveQuotas(options);
  LabelSplit split = SplitLatest(dataset, options.label_fraction);
  RankerFitStats stats;
  Result<XgbBooster> booster = Internal("not trained");
  std::string booster_bytes;
  {
    RECO_ASSIGN_OR_RETURN(std::vector<RecallSource> earlier,
                          FitSources(options, split.earlier, "the earlier part"));
    const FeatureSchema schema(SourceKinds(earlier));
    TrainingRows rows = BuildRows(split, earlier, quotas, schema, options);
    stats.groups = rows.group_sizes.size();
    stats.rows = rows.labels.size();
    for (float l : rows.labels) stats.positive_rows += l > 0 ? 1 : 0;
    if (stats.groups == 0) {
      return FailedPrecondition(
          "ranker: no user has a labelled item among its candidates (too little data, or "
          "quotas too small)");
    }
    booster = TrainBooster(rows, schema.size(), options);
    if (!booster.ok()) return booster.status().WithPrefix("ranker");
    RECO_ASSIGN_OR_RETURN(booster_bytes, booster->SaveToBuffer());
  }
  RECO_ASSIGN_OR_RETURN(std::vector<RecallSource> sources,
                        FitSources(options, dataset, "all training data"));
  RankerModel model(std::move(sources), std::move(booster).value(), std::move(booster_bytes));
  model.quotas_ = quotas;
  model.items_ = ItemStats::FromDataset(dataset);
  model.recent_items_ = options.recent_items;
  model.recent_ = LatestItems(dataset, options.recent_items);
  model.fit_stats_ = stats;
  model.content_ = options.content;
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

FeatureInputs RankerModel::Inputs() const {
  return {&items_, SimilarityModel(sources_), content_.get()};
}

CandidateSet RankerModel::Candidates(std::span<const uint32_t> history) const {
  return GenerateCandidates(Pointers(sources_), quotas_, history);
}

std::vector<float> RankerModel::Features(uint32_t user, std::span<const uint32_t> history,
                                         const CandidateSet& candidates) const {
  // Users of the training data have their latest items by time; others use a short history.
  std::span<const uint32_t> recent = recent_.Of(user);
  if (recent.empty() && history.size() <= static_cast<size_t>(recent_items_)) recent = history;
  return ComputeFeatures(schema_, candidates, UserContext{history, recent}, Inputs());
}

Status RankerModel::ScoreItems(uint32_t user, std::span<const uint32_t> history,
                               std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), kNotCandidate);
  CandidateSet candidates = Candidates(history);
  if (candidates.size() == 0) return Status::Ok();
  std::vector<float> features = Features(user, history, candidates);
  RECO_ASSIGN_OR_RETURN(XgbMatrix matrix,
                        XgbMatrix::FromDense(features, candidates.size(), schema_.size()));
  RECO_ASSIGN_OR_RETURN(std::vector<float> predictions, booster_->Predict(matrix));
  for (size_t r = 0; r < candidates.size(); ++r) {
    if (candidates.items[r] < scores.size()) scores[candidates.items[r]] = predictions[r];
  }
  return Status::Ok();
}

std::string RankerModel::Serialize() const {
  BinaryWriter w;
  w.U32(kPayloadVersion);
  w.U32(static_cast<uint32_t>(sources_.size()));
  for (const RecallSource& s : sources_) w.String(s.Serialize());
  w.U32Array(std::vector<uint32_t>(quotas_.begin(), quotas_.end()));
  items_.Write(w);
  w.U64Array(recent_.offsets);
  w.U32Array(recent_.items);
  w.U32(static_cast<uint32_t>(recent_items_));
  w.U64(fit_stats_.groups);
  w.U64(fit_stats_.rows);
  w.U64(fit_stats_.positive_rows);
  w.U8(content_ != nullptr ? 1 : 0);
  if (content_ != nullptr) content_->Write(w);
  w.String(booster_bytes_);
  return w.Take();
}

Result<RankerModel> RankerModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "ranker payload");
  uint32_t version = 0;
  uint32_t num_sources = 0;
  RECO_RETURN_IF_ERROR(r.U32(version));
  if (version != 1 && version != kPayloadVersion)
    return r.Corrupt("unsupported version " + std::to_string(version));
  RECO_RETURN_IF_ERROR(r.U32(num_sources));
  if (num_sources == 0 || num_sources > 64) return r.Corrupt("bad number of sources");
  std::vector<RecallSource> sources;
  for (uint32_t s = 0; s < num_sources; ++s) {
    std::string bytes;
    RECO_RETURN_IF_ERROR(r.String(bytes, r.remaining()));
    RECO_ASSIGN_OR_RETURN(RecallSource source, RecallSource::Deserialize(bytes));
    sources.push_back(std::move(source));
  }
  std::vector<uint32_t> quotas;
  RECO_RETURN_IF_ERROR(r.U32Array(quotas));
  RECO_ASSIGN_OR_RETURN(ItemStats items, ItemStats::Read(r));
  RecentItems recent;
  uint32_t recent_items = 0;
  RankerFitStats stats;
  RECO_RETURN_IF_ERROR(r.U64Array(recent.offsets));
  RECO_RETURN_IF_ERROR(r.U32Array(recent.items));
  RECO_RETURN_IF_ERROR(r.U32(recent_items));
  uint64_t groups = 0, rows = 0, positive_rows = 0;
  RECO_RETURN_IF_ERROR(r.U64(groups));
  RECO_RETURN_IF_ERROR(r.U64(rows));
  RECO_RETURN_IF_ERROR(r.U64(positive_rows));
  std::shared_ptr<const ItemContent> content;
  if (version >= 2) {
    uint8_t has_content = 0;
    RECO_RETURN_IF_ERROR(r.U8(has_content));
    if (has_content > 1) return r.Corrupt("bad content flag");
    if (has_content == 1) {
      RECO_ASSIGN_OR_RETURN(ItemContent c, ItemContent::Read(r));
      if (c.num_items() != items.num_items()) return r.Corrupt("content item count");
      content = std::make_shared<const ItemContent>(std::move(c));
    }
  }
  std::string booster_bytes;
  RECO_RETURN_IF_ERROR(r.String(booster_bytes, r.remaining()));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  if (quotas.size() != num_sources) return r.Corrupt("one quota per source expected");
  for (const RecallSource& s : sources) {
    if (s.num_items() != items.num_items()) return r.Corrupt("source " + s.kind() + " item count");
  }
  if (recent.offsets.empty() || recent.offsets.front() != 0 ||
      recent.offsets.back() != recent.items.size() ||
      !std::is_sorted(recent.offsets.begin(), recent.offsets.end()) ||
      std::any_of(recent.items.begin(), recent.items.end(),
                  [&](uint32_t i) { return i >= items.num_items(); })) {
    return r.Corrupt("recent item lists are inconsistent");
  }
  Result<XgbBooster> booster = XgbBooster::LoadFromBuffer(booster_bytes);
  if (!booster.ok()) return booster.status().WithPrefix("ranker payload booster");
  RankerModel model(std::move(sources), std::move(booster).value(), std::move(booster_bytes),
                    /*content_features=*/version >= 2);
  RECO_ASSIGN_OR_RETURN(uint64_t features, model.booster_->NumFeatures());
  if (features != model.schema_.size()) return r.Corrupt("booster feature count mismatch");
  model.quotas_.assign(quotas.begin(), quotas.end());
  model.items_ = std::move(items);
  model.recent_ = std::move(recent);
  model.recent_items_ = static_cast<int>(recent_items);
  model.fit_stats_ = {groups, rows, positive_rows};
  model.content_ = std::move(content);
  return model;
}

}  // namespace reco::rank
