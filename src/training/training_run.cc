#include "training/training_run.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <limits>

namespace reco::training {

std::string TrainAlgorithmName() { return "popularity+latest+itemcf"; }

std::map<std::string, std::string> TrainParams(const RecoConfig& config,
                                               const TrainOptions& options) {
  const RecommendConfig& r = config.recommend;
  return {
      {"itemcf_neighbors", std::to_string(r.itemcf_neighbors)},
      {"itemcf_shrinkage", fmt::format("{}", r.itemcf_shrinkage)},
      {"popularity_half_life_days", fmt::format("{}", r.popularity_half_life_days)},
      {"popular_list_size", std::to_string(r.popular_list_size)},
      {"history_size", std::to_string(r.history_size)},
      {"num_threads", std::to_string(options.num_threads)},
  };
}

Status RecordTrainReport(const TrainReport& report, const std::filesystem::path& data_dir,
                         registry::RunRecord& run) {
  run.data.snapshot_id = report.snapshot_id;
  run.data.row_counts["users"] = static_cast<int64_t>(report.users);
  run.data.row_counts["items"] = static_cast<int64_t>(report.items);
  run.data.row_counts["positives"] = static_cast<int64_t>(report.positives);
  run.metrics["dataset_seconds"] = report.dataset_seconds;
  run.metrics["write_seconds"] = report.write_seconds;
  std::filesystem::path base = std::filesystem::absolute(data_dir).lexically_normal();
  run.artifacts.clear();
  std::string algorithm;
  for (const ModelTrainStats& m : report.models) {
    // The text embedder recommends nothing by itself: not part of the algorithm's name.
    if (m.kind != "textvec") algorithm += (algorithm.empty() ? "" : "+") + m.kind;
    run.metrics[m.kind + ".items"] = static_cast<double>(m.items);
    run.metrics[m.kind + ".entries"] = static_cast<double>(m.entries);
    run.metrics[m.kind + ".fit_seconds"] = m.seconds;
    std::filesystem::path file = std::filesystem::absolute(m.file).lexically_normal();
    std::filesystem::path relative = file.lexically_relative(base);
    if (relative.empty() || *relative.begin() == "..") {
      return InvalidArgument("model file " + m.file.string() + " is outside the data dir " +
                             data_dir.string());
    }
    RECO_ASSIGN_OR_RETURN(registry::RunArtifact artifact,
                          registry::DescribeArtifact(data_dir, relative.generic_string(), m.kind));
    run.artifacts.push_back(std::move(artifact));
  }
  if (!algorithm.empty()) run.algorithm = algorithm;
  return Status::Ok();
}

Result<TrainedVersion> TrainAndRegister(Store& store, const RecoConfig& config,
                                        const std::filesystem::path& data_dir, const Clock& clock,
                                        TrainOptions options, const TrainingRunInputs& inputs) {
  registry::RunTracker tracker(data_dir, clock);
  registry::ModelRegistry registry(data_dir, clock,
                                   {.keep_versions = config.registry.keep_versions});
  // Files of registered versions must stay while the registry names them.
  options.keep_files = std::numeric_limits<size_t>::max();
  TrainedVersion out;
  // Every param is there from the start: a run is never final without them.
  std::map<std::string, std::string> params = TrainParams(config, options);
  for (const auto& [k, v] : inputs.params) params[k] = v;
  RECO_ASSIGN_OR_RETURN(out.run, tracker.Start(TrainAlgorithmName(), std::move(params)));
  registry::RunRecord& run = out.run;
  run.data.watermarks = inputs.watermarks;
  Result<TrainReport> report = TrainModels(store, config, data_dir / "models", clock, options);
  Status outcome = report.status();
  if (outcome.ok()) outcome = RecordTrainReport(*report, data_dir, run);
  for (const auto& [k, v] : inputs.row_counts) run.data.row_counts[k] = v;
  RECO_RETURN_IF_ERROR(tracker.Finish(run, outcome));
  if (!outcome.ok()) return outcome.WithPrefix("training run " + run.run_id);
  out.report = std::move(report).value();
  RECO_ASSIGN_OR_RETURN(out.version, registry.Register(run));
  Result<registry::RetentionReport> retention = registry.ApplyRetention();
  if (retention.ok()) {
    out.retention = std::move(retention).value();
  } else {
    spdlog::warn("event=registry_retention_failed reason=\"{}\"", retention.status().ToString());
  }
  spdlog::info("event=training_run_registered run_id={} artifacts={} removed_versions={}",
               run.run_id, run.artifacts.size(), out.retention.removed_versions.size());
  return out;
}

}  // namespace reco::training
