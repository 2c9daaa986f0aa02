#include "models/trainer.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "core/file_util.h"
#include "data/dataset.h"
#include "models/itemcf.h"
#include "models/latest.h"
#include "models/model_files.h"
#include "models/popularity.h"

namespace reco {
namespace {

class Stopwatch {
 public:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

struct FittedModels {
  PopularityModel popularity;
  LatestModel latest;
  ItemCfModel itemcf;
};

Result<FittedModels> FitAll(const Dataset& dataset, const RecommendConfig& config,
                            const TrainOptions& options, TimestampUs now, TrainReport& report) {
  PopularityOptions popularity_options;
  popularity_options.now = now;
  popularity_options.half_life_days = config.popularity_half_life_days;
  popularity_options.list_size = static_cast<size_t>(std::max(config.popular_list_size, 0));
  Stopwatch popularity_watch;
  RECO_ASSIGN_OR_RETURN(PopularityModel popularity,
                        PopularityModel::Fit(dataset, popularity_options));
  report.models.push_back({"popularity",
                           popularity.item_ids().size(),
                           popularity.Top().size(),
                           popularity_watch.Seconds(),
                           {}});

  LatestOptions latest_options;
  latest_options.list_size = popularity_options.list_size;
  Stopwatch latest_watch;
  RECO_ASSIGN_OR_RETURN(LatestModel latest, LatestModel::Fit(dataset, latest_options));
  report.models.push_back(
      {"latest", latest.item_ids().size(), latest.Top().size(), latest_watch.Seconds(), {}});

  ItemCfOptions itemcf_options;
  itemcf_options.neighbors = config.itemcf_neighbors;
  itemcf_options.shrinkage = config.itemcf_shrinkage;
  itemcf_options.num_threads = options.num_threads;
  itemcf_options.show_progress = options.show_progress;
  Stopwatch itemcf_watch;
  RECO_ASSIGN_OR_RETURN(ItemCfModel itemcf, ItemCfModel::Fit(dataset, itemcf_options));
  report.models.push_back(
      {"itemcf", itemcf.num_items(), itemcf.num_neighbor_entries(), itemcf_watch.Seconds(), {}});
  for (const auto& extra : options.extra) {
    ModelTrainStats stats;
    stats.kind = extra->kind();
    Stopwatch watch;
    RECO_RETURN_IF_ERROR(extra->Fit(dataset, stats).WithPrefix(stats.kind));
    stats.seconds = watch.Seconds();
    report.models.push_back(std::move(stats));
  }
  for (const ModelTrainStats& stats : report.models) {
    spdlog::info("event=model_fitted kind={} items={} entries={} seconds={:.3f}", stats.kind,
                 stats.items, stats.entries, stats.seconds);
  }
  return FittedModels{std::move(popularity), std::move(latest), std::move(itemcf)};
}

// Writes every model; on the first failure removes the files this call already wrote.
Status WriteAll(const FittedModels& models, const TrainOptions& options,
                const std::filesystem::path& dir, TrainReport& report) {
  RECO_RETURN_IF_ERROR(EnsureDirectory(dir));
  std::vector<std::filesystem::path> written;
  auto write = [&](const auto& model, ModelTrainStats& stats) -> Status {
    std::filesystem::path path = dir / ModelFileName(stats.kind, report.created);
    RECO_RETURN_IF_ERROR(model.Save(path, report.created));
    written.push_back(path);
    stats.file = path;
    return Status::Ok();
  };
  Status status = write(models.popularity, report.models[0]);
  if (status.ok()) status = write(models.latest, report.models[1]);
  if (status.ok()) status = write(models.itemcf, report.models[2]);
  for (size_t e = 0; status.ok() && e < options.extra.size(); ++e) {
    status = write(*options.extra[e], report.models[3 + e]);
  }
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

  RECO_ASSIGN_OR_RETURN(FittedModels models,
                        FitAll(dataset, config.recommend, options, clock.NowMicros(), report));
  report.created = clock.NowMicros();
  Stopwatch write_watch;
  RECO_RETURN_IF_ERROR(WriteAll(models, options, models_dir, report));
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

}  // namespace reco
