#include "training/trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "algo/scorer.h"
#include "content/text_embedder.h"
#include "content/text_features.h"
#include "core/file_util.h"
#include "data/dataset.h"
#include "models/itemcf.h"
#include "models/latest.h"
#include "models/model_files.h"
#include "models/popularity.h"
#include "models/user_recs.h"
#include "training/precompute.h"

namespace reco::training {
namespace {

class Stopwatch {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// The fitted models in writing order; each present one has its stats in TrainReport::models.
struct FittedModels {
  std::optional<PopularityModel> popularity;
  std::optional<LatestModel> latest;
  std::optional<ItemCfModel> itemcf;
  std::optional<UserRecsModel> recs;
  std::shared_ptr<content::TextEmbedder> textvec;
};

Status Checkpoint(const TrainOptions& options, std::string_view step) {
  return options.checkpoint ? options.checkpoint(step) : Status::Ok();
}

Status FitBuiltins(const Dataset& dataset, const RecommendConfig& config,
                   const TrainOptions& options, TimestampUs now, FittedModels& models,
                   TrainReport& report) {
  const size_t list_size = static_cast<size_t>(std::max(config.popular_list_size, 0));
  if (options.builtin.popularity) {
    PopularityOptions popularity_options;
    popularity_options.now = now;
    popularity_options.half_life_days = config.popularity_half_life_days;
    popularity_options.list_size = list_size;
    Stopwatch popularity_watch;
    RECO_ASSIGN_OR_RETURN(models.popularity, PopularityModel::Fit(dataset, popularity_options));
    report.models.push_back({"popularity",
                             models.popularity->item_ids().size(),
                             models.popularity->Top().size(),
                             popularity_watch.Seconds(),
                             {}});
  }
  if (options.builtin.latest) {
    LatestOptions latest_options;
    latest_options.list_size = list_size;
    Stopwatch latest_watch;
    RECO_ASSIGN_OR_RETURN(models.latest, LatestModel::Fit(dataset, latest_options));
    report.models.push_back({"latest",
                             models.latest->item_ids().size(),
                             models.latest->Top().size(),
                             latest_watch.Seconds(),
                             {}});
  }
  if (!options.builtin.itemcf) return Status::Ok();
  ItemCfOptions itemcf_options;
  itemcf_options.neighbors = config.itemcf_neighbors;
  itemcf_options.shrinkage = config.itemcf_shrinkage;
  itemcf_options.num_threads = options.num_threads;
  itemcf_options.show_progress = options.show_progress;
  Stopwatch itemcf_watch;
  RECO_ASSIGN_OR_RETURN(models.itemcf, ItemCfModel::Fit(dataset, itemcf_options));
  report.models.push_back({"itemcf",
                           models.itemcf->num_items(),
                           models.itemcf->num_neighbor_entries(),
                           itemcf_watch.Seconds(),
                           {}});
  return Status::Ok();
}

// Fits the chosen algorithm and precomputes every user's list with it. Their errors name the
// model kind ("recs: ..."); a checkpoint's status is returned as it is.
Result<UserRecsModel> FitRecs(const Dataset& dataset, const AlgorithmChoice& choice,
                              size_t list_size, const TrainOptions& options,
                              const algo::FitContext& context) {
  const std::string kind(UserRecsModel::kKind);
  Result<algo::FittedScorer> fitted =
      algo::FitScorer(choice.algo, dataset, choice.settings, context);
  if (!fitted.ok()) return fitted.status().WithPrefix(kind);
  spdlog::info("event=algorithm_fitted algo={} seconds={:.3f}", choice.algo, fitted->train_seconds);
  RECO_RETURN_IF_ERROR(Checkpoint(options, "after fitting " + choice.algo));
  PrecomputeOptions precompute;
  precompute.list_size = list_size;
  precompute.num_threads = options.num_threads;
  precompute.show_progress = options.show_progress;
  Result<UserRecsModel> recs =
      PrecomputeUserRecs(*fitted->scorer, dataset, choice.algo, fitted->options, precompute);
  if (!recs.ok()) return recs.status().WithPrefix(kind);
  return recs;
}

content::TextEmbedderOptions TextOptions(const ContentConfig& config, int num_threads) {
  content::TextEmbedderOptions o;
  o.dimension = config.text_dimension;
  o.min_df = config.text_min_df;
  o.max_features = config.text_max_features;
  o.features = {.ngram_min = config.text_ngram_min, .ngram_max = config.text_ngram_max};
  o.num_threads = num_threads;
  return o;
}

// The HNSW graph of the fitted text vectors of `docs`, saved with the model so that a server
// loads it instead of building it (serving/content_index.h).
Status BuildTextGraph(content::TextEmbedder& model, std::span<const content::TextDocument> docs,
                      const ContentConfig& config, int num_threads) {
  Stopwatch watch;
  std::vector<uint32_t> labels;
  std::vector<float> data;
  std::vector<std::string> items;
  for (const content::TextDocument& doc : docs) {
    std::vector<float> v = model.Embed(doc.text);
    if (v.empty()) continue;
    labels.push_back(static_cast<uint32_t>(items.size()));
    items.push_back(doc.id);
    data.insert(data.end(), v.begin(), v.end());
  }
  if (items.empty()) return Status::Ok();
  const content::AnnOptions ann{.m = config.hnsw_m,
                                .ef_construction = config.hnsw_ef_construction,
                                .ef_search = config.hnsw_ef_search};
  content::AnnIndex index(model.dimension(), ann);
  RECO_RETURN_IF_ERROR(index.AddBatch(labels, data, num_threads).WithPrefix("text graph"));
  RECO_ASSIGN_OR_RETURN(std::string graph, index.SaveGraph());
  spdlog::info("event=text_graph_built vectors={} bytes={} seconds={:.3f}", items.size(),
               graph.size(), watch.Seconds());
  model.set_graph(std::move(graph), std::move(items), ann);
  return Status::Ok();
}

// Fits the text embedder on the items' texts and its graph; `stats` receives what it learned. A
// catalogue without text enough for one feature gives no model (null), not an error.
Result<std::shared_ptr<content::TextEmbedder>> FitTextVectors(
    std::span<const content::TextDocument> docs, const RecoConfig& config,
    const TrainOptions& options, std::optional<ModelTrainStats>& stats) {
  Stopwatch watch;
  Result<content::TextEmbedder> model =
      content::TextEmbedder::Fit(docs, TextOptions(config.content, options.num_threads));
  if (!model.ok() && model.status().code() == StatusCode::kFailedPrecondition) {
    spdlog::info("event=text_vectors_skipped reason=\"{}\"", model.status().message());
    return std::shared_ptr<content::TextEmbedder>();
  }
  if (!model.ok()) return model.status().WithPrefix(content::TextEmbedder::kKind);
  RECO_RETURN_IF_ERROR(BuildTextGraph(*model, docs, config.content, options.num_threads));
  stats = ModelTrainStats{std::string(content::TextEmbedder::kKind),
                          model->documents(),
                          model->vocabulary_size(),
                          watch.Seconds(),
                          {}};
  return std::make_shared<content::TextEmbedder>(std::move(model).value());
}

Status FitAll(const Dataset& dataset, const RecommendConfig& config, const TrainOptions& options,
              const algo::FitContext& context, TimestampUs now, FittedModels& models,
              TrainReport& report) {
  RECO_RETURN_IF_ERROR(FitBuiltins(dataset, config, options, now, models, report));
  if (options.recs) {
    ModelTrainStats stats;
    stats.kind = std::string(UserRecsModel::kKind);
    Stopwatch watch;
    RECO_ASSIGN_OR_RETURN(models.recs,
                          FitRecs(dataset, *options.recs, static_cast<size_t>(config.recs_per_user),
                                  options, context));
    stats.items = models.recs->item_ids().size();
    stats.entries = models.recs->num_entries();
    stats.seconds = watch.Seconds();
    report.models.push_back(std::move(stats));
  }
  for (const ModelTrainStats& stats : report.models) {
    spdlog::info("event=model_fitted kind={} items={} entries={} seconds={:.3f}", stats.kind,
                 stats.items, stats.entries, stats.seconds);
  }
  return Status::Ok();
}

// Writes every model; on the first failure removes the files this call already wrote.
Status WriteAll(const FittedModels& models, const std::filesystem::path& dir, TrainReport& report) {
  RECO_RETURN_IF_ERROR(EnsureDirectory(dir));
  std::vector<std::filesystem::path> written;
  size_t next = 0;  // models are written in the order of report.models
  auto write = [&](const auto& model) -> Status {
    if (!model) return Status::Ok();
    ModelTrainStats& stats = report.models[next++];
    std::filesystem::path path = dir / ModelFileName(stats.kind, report.created);
    RECO_RETURN_IF_ERROR(model->Save(path, report.created));
    written.push_back(path);
    stats.file = path;
    return Status::Ok();
  };
  Status status = write(models.popularity);
  if (status.ok()) status = write(models.latest);
  if (status.ok()) status = write(models.itemcf);
  if (status.ok()) status = write(models.recs);
  if (status.ok()) status = write(models.textvec);
  if (!status.ok()) {
    for (const std::filesystem::path& path : written) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
    return status.WithPrefix("writing models");
  }
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const std::vector<content::TextDocument>>> ReadItemTexts(
    Store& store, const ContentConfig& config) {
  auto docs = std::make_shared<std::vector<content::TextDocument>>();
  RECO_RETURN_IF_ERROR(store.ScanItems([&](const Item& item) {
    docs->push_back({item.item_id, content::ItemText(item, config.supplied_label)});
  }));
  return std::shared_ptr<const std::vector<content::TextDocument>>(std::move(docs));
}

Result<TrainReport> TrainModels(Store& store, const RecoConfig& config,
                                const std::filesystem::path& models_dir, const Clock& clock,
                                const TrainOptions& options) {
  TrainReport report;
  Stopwatch dataset_watch;
  RECO_ASSIGN_OR_RETURN(Dataset dataset,
                        Dataset::FromStore(store, config.recommend.feedback_types));
  report.dataset_seconds = dataset_watch.Seconds();
  report.snapshot_id = dataset.snapshot_id();
  report.users = dataset.num_users();
  report.items = dataset.num_items();
  report.positives = dataset.num_positives();
  spdlog::info("event=train_dataset snapshot={} users={} items={} positives={} seconds={:.3f}",
               report.snapshot_id, report.users, report.items, report.positives,
               report.dataset_seconds);
  RECO_RETURN_IF_ERROR(Checkpoint(options, "after loading the dataset"));

  // The catalogue's texts feed the text vectors and the recs algorithm's content features (the
  // ranker's), which then embed with the same model the version serves.
  const bool text_vectors = options.builtin.text_vectors && config.content.text_embedder;
  algo::FitContext context{.show_progress = options.show_progress};
  if (text_vectors || options.recs) {
    RECO_ASSIGN_OR_RETURN(context.item_texts, ReadItemTexts(store, config.content));
  }
  FittedModels models;
  std::optional<ModelTrainStats> text_stats;
  if (text_vectors) {
    RECO_ASSIGN_OR_RETURN(models.textvec,
                          FitTextVectors(*context.item_texts, config, options, text_stats));
    context.text_embedder = models.textvec;
  }
  RECO_RETURN_IF_ERROR(
      FitAll(dataset, config.recommend, options, context, clock.NowMicros(), models, report));
  if (models.textvec) {
    models.textvec->set_info(ModelInfo{.snapshot_id = report.snapshot_id});
    report.models.push_back(*text_stats);  // written last (WriteAll)
    spdlog::info("event=model_fitted kind={} items={} entries={} seconds={:.3f}", text_stats->kind,
                 text_stats->items, text_stats->entries, text_stats->seconds);
  }
  report.created = clock.NowMicros();
  RECO_RETURN_IF_ERROR(Checkpoint(options, "before writing the model"));
  Stopwatch write_watch;
  RECO_RETURN_IF_ERROR(WriteAll(models, models_dir, report));
  report.write_seconds = write_watch.Seconds();

  Result<std::vector<std::filesystem::path>> removed =
      ApplyRetention(models_dir, options.keep_files);
  if (removed.ok()) {
    report.removed = std::move(removed).value();
  } else {
    spdlog::warn("event=model_retention_failed reason=\"{}\"", removed.status().ToString());
  }
  return report;
}

}  // namespace reco::training
