#include "pipeline/tasks.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "algo/scorer.h"
#include "content/text_embedder.h"
#include "core/file_util.h"
#include "core/json_writer.h"
#include "data/dataset.h"
#include "eval/evaluator.h"
#include "eval/protocol.h"
#include "pipeline/data_quality.h"
#include "pipeline/evaluation.h"
#include "pipeline/extract.h"
#include "registry/model_registry.h"
#include "registry/run_tracker.h"
#include "training/training_run.h"

namespace reco::pipeline {
namespace fs = std::filesystem;

fs::path ReconciliationPath(const fs::path& data_dir, std::string_view date) {
  return data_dir / kEvaluationDir / ReconciliationFileName(date);
}

namespace {

// What build_features hands to evaluate within one process (a resumed run rebuilds it).
struct SharedState {
  std::optional<Dataset> dataset;
  std::optional<eval::EvalSplit> split;
  // The catalogue's item texts, as the training gives them to the ranker's content features.
  std::shared_ptr<const std::vector<content::TextDocument>> item_texts;
};

int64_t ToInt(const std::optional<std::string>& text, int64_t fallback = 0) {
  if (!text) return fallback;
  int64_t v = fallback;
  std::from_chars(text->data(), text->data() + text->size(), v);
  return v;
}

std::optional<double> ToDouble(const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::nullopt;
  try {
    return std::stod(*text);
  } catch (...) {
    return std::nullopt;
  }
}

std::string Num(double v) { return fmt::format("{}", v); }

Status Extract(const PipelineEnv& env, TaskContext& ctx) {
  ExtractOptions options;
  options.full_refresh = ctx.request().full_refresh;
  options.dry_run = ctx.dry_run();
  options.show_progress = env.show_progress;
  RECO_ASSIGN_OR_RETURN(ExtractReport report,
                        RunExtract(options, *env.config, *env.store, env.data_dir, *env.clock));
  for (const SourceReport& s : report.sources) {
    ctx.Log(
        fmt::format("{}: read {} written {} rejected {} skipped {} duplicate {} ({:.2f} s), "
                    "watermark {} -> {}",
                    s.source, s.rows_read, s.rows_written, s.rows_rejected, s.rows_skipped,
                    s.rows_duplicate, s.seconds, s.watermark_before, s.watermark_after));
    for (const std::string& issue : s.issues) ctx.Log("  " + issue);
    ctx.SetOutput("extract.watermark." + s.source, s.watermark_after);
  }
  DataQualityInput in = DataQualityInput::FromExtract(report);
  ctx.SetOutput(std::string(kOutStoreSeqBefore), std::to_string(in.after_seq));
  ctx.SetOutput(std::string(kOutRowsRead), std::to_string(in.rows_read));
  ctx.SetOutput(std::string(kOutRowsDuplicate), std::to_string(in.rows_duplicate));
  ctx.SetOutput(std::string(kOutRowsEmptyId), std::to_string(in.rows_empty_id));
  ctx.SetSummary(fmt::format("{}{} source(s); store feedback seq {} -> {}",
                             ctx.dry_run() ? "would read " : "", report.sources.size(),
                             report.store_seq_before, report.store_seq_after));
  return Status::Ok();
}

// The newest training run that already covers the store's current data and today's settings, or
// nothing (then the run trains; a bad model configuration is reported by train_models).
Result<std::optional<std::string>> CurrentTrainingRun(const PipelineEnv& env,
                                                      const TaskContext& ctx) {
  std::optional<std::string> watermark =
      ctx.Output("extract.watermark." + std::string(kStoreSource));
  Result<ModelChoice> choice = ChooseModel(*env.config, env.data_dir);
  if (!watermark || !choice.ok()) return std::optional<std::string>();
  registry::RunTracker tracker(env.data_dir, *env.clock);
  RECO_ASSIGN_OR_RETURN(std::vector<registry::RunRecord> runs, tracker.List());
  auto newest = std::find_if(runs.rbegin(), runs.rend(), [](const registry::RunRecord& r) {
    return r.status == registry::RunStatus::kSucceeded;
  });
  if (newest == runs.rend() || !RunIsCurrent(*newest, *watermark, *env.config, *choice)) {
    return std::optional<std::string>();
  }
  return std::optional<std::string>(newest->run_id);
}

// Nothing new since the last run: training is skipped when the newest model already covers the
// data and the settings (they may have changed since, e.g. recommend.model_config).
Status QuietRun(const PipelineEnv& env, const DataQualityReport& report, TaskContext& ctx) {
  ctx.SetOutput(std::string(kOutDataQuality), Num(report.score));
  const std::string what = "no new data since the last run";
  ctx.Log(what + fmt::format(": nothing to score (last score {:.3f})", report.score));
  RECO_ASSIGN_OR_RETURN(std::optional<std::string> current, CurrentTrainingRun(env, ctx));
  if (!current) {
    ctx.SetSummary(what + "; the newest model predates the data or the settings: training");
    return Status::Ok();
  }
  const std::string reason =
      what + "; training run " + *current + " covers the same data and settings: training skipped";
  for (std::string_view task :
       {kTaskBuildFeatures, kTaskTrainModels, kTaskEvaluate, kTaskPublish}) {
    ctx.SkipLater(task, reason);
  }
  ctx.SetPublished(false, reason);
  ctx.SetSummary(reason);
  return Status::Ok();
}

Status CheckDataQuality(const PipelineEnv& env, TaskContext& ctx) {
  DataQualityInput in;
  in.after_seq = ToInt(ctx.Output(kOutStoreSeqBefore));
  in.rows_read = ToInt(ctx.Output(kOutRowsRead));
  in.rows_duplicate = ToInt(ctx.Output(kOutRowsDuplicate));
  in.rows_empty_id = ToInt(ctx.Output(kOutRowsEmptyId));
  if (!ctx.Output(kOutStoreSeqBefore)) ctx.Log("no extract output: checking every stored row");
  DataQualityOptions options;
  options.dry_run = ctx.dry_run();
  options.max_data_age_hours = env.config->pipeline.max_data_age_hours;
  RECO_ASSIGN_OR_RETURN(DataQualityReport report,
                        RunDataQuality(options, in, *env.store, env.data_dir, *env.clock));
  if (report.quiet) return QuietRun(env, report, ctx);
  for (const QualityCheck& c : report.checks) {
    ctx.Log(fmt::format("{}: score {:.3f} (weight {}) {}", c.name, c.score, c.weight, c.detail));
  }
  ctx.SetOutput(std::string(kOutDataQuality), Num(report.score));
  double min = env.config->pipeline.min_data_quality;
  if (report.score < min) {
    return FailedPrecondition(fmt::format(
        "data quality {:.3f} below threshold {} (pipeline.min_data_quality)", report.score, min));
  }
  ctx.SetSummary(fmt::format("score {:.3f} over {} new rows (threshold {})", report.score,
                             report.new_rows, min));
  return Status::Ok();
}

Status BuildSplit(const PipelineEnv& env, SharedState& state, TaskContext& ctx) {
  if (state.dataset && state.split && state.item_texts) return Status::Ok();
  RECO_ASSIGN_OR_RETURN(Dataset dataset,
                        Dataset::FromStore(*env.store, env.config->recommend.feedback_types));
  Result<eval::EvalSplit> split = eval::SplitLeaveLastN(dataset, env.holdout_last);
  if (!split.ok()) return split.status().WithPrefix("holdout of the snapshot");
  ctx.Log(fmt::format("snapshot {}: {} users, {} items, {} positives", dataset.snapshot_id(),
                      dataset.num_users(), dataset.num_items(), dataset.num_positives()));
  RECO_ASSIGN_OR_RETURN(state.item_texts,
                        training::ReadItemTexts(*env.store, env.config->content));
  state.dataset = std::move(dataset);
  state.split = std::move(split).value();
  return Status::Ok();
}

Status BuildFeatures(const PipelineEnv& env, SharedState& state, TaskContext& ctx) {
  state = {};
  RECO_RETURN_IF_ERROR(BuildSplit(env, state, ctx));
  const Dataset& d = *state.dataset;
  const eval::EvalSplit& s = *state.split;
  JsonWriter w;
  w.BeginObject().Key("snapshot_id").String(d.snapshot_id());
  w.Key("built_at").Timestamp(env.clock->NowMicros()).Key("pipeline_run").String(ctx.run().run_id);
  w.Key("users").Int(static_cast<int64_t>(d.num_users()));
  w.Key("items").Int(static_cast<int64_t>(d.num_items()));
  w.Key("positives").Int(static_cast<int64_t>(d.num_positives()));
  w.Key("max_feedback_timestamp").Timestamp(d.max_feedback_timestamp());
  w.Key("holdout").BeginObject().Key("protocol").String("temporal");
  w.Key("leave_last").Int(env.holdout_last);
  w.Key("description")
      .String(fmt::format("each user's last {} positive(s) by time", env.holdout_last));
  w.Key("test_users").Int(static_cast<int64_t>(s.users.size()));
  w.Key("test_positives").Int(s.stats.test_positives);
  w.Key("train_positives").Int(s.stats.train_positives);
  w.Key("train_only_users").Int(s.stats.train_only_users);
  w.EndObject().EndObject();
  ctx.SetOutput(std::string(kOutSnapshotId), d.snapshot_id());
  ctx.SetSummary(fmt::format("{}snapshot {}: holdout of {} users",
                             ctx.dry_run() ? "would write " : "", d.snapshot_id(), s.users.size()));
  if (ctx.dry_run()) return Status::Ok();
  RECO_RETURN_IF_ERROR(EnsureDirectory(env.data_dir / "features"));
  return WriteFileAtomic(env.data_dir / kSnapshotFile, w.Take());
}

Status TrainModelsTask(const PipelineEnv& env, TaskContext& ctx) {
  const RecoConfig& config = *env.config;
  RECO_ASSIGN_OR_RETURN(ModelChoice choice, ChooseModel(config, env.data_dir));
  RECO_RETURN_IF_ERROR(algo::CheckScorerSettings(choice.algo, choice.settings)
                           .WithPrefix("settings of " + choice.source));
  bool extra = !config.recommend.model_config.empty();
  if (ctx.dry_run()) {
    ctx.SetSummary(fmt::format(
        "would train popularity, latest, itemcf{} into models/, register a model version and "
        "keep {} versions besides aliased ones",
        extra ? " and per-user lists of " + choice.algo : "", config.registry.keep_versions));
    return Status::Ok();
  }
  training::TrainOptions options;
  options.num_threads = env.threads;
  options.show_progress = env.show_progress;
  if (extra) options.recs = choice;
  training::TrainingRunInputs inputs;
  for (const auto& [k, v] : ctx.run().outputs) {
    if (k.rfind("extract.watermark.", 0) == 0) inputs.watermarks[k.substr(18)] = v;
  }
  inputs.row_counts["extracted_rows"] = ToInt(ctx.Output(kOutRowsRead));
  // The evaluate task of later runs refits this configuration from the run's params.
  inputs.params = ChoiceParams(choice);
  inputs.params["pipeline_run"] = ctx.run().run_id;
  RECO_ASSIGN_OR_RETURN(
      training::TrainedVersion trained,
      training::TrainAndRegister(*env.store, config, env.data_dir, *env.clock, options, inputs));
  const registry::RunRecord& run = trained.run;
  ctx.SetOutput(std::string(kOutTrainRunId), run.run_id);
  for (const auto& f : trained.retention.removed_files) ctx.Log("retention removed " + f.string());
  ctx.SetSummary(
      fmt::format("run {} ({}; {} artifacts)", run.run_id, run.algorithm, run.artifacts.size()));
  return Status::Ok();
}

// Fits `choice` on the split's training part and evaluates it on the holdout.
Result<std::map<std::string, double>> FitAndEvaluate(const PipelineEnv& env,
                                                     const SharedState& state,
                                                     const ModelChoice& choice) {
  const eval::EvalSplit& split = *state.split;
  const algo::FitContext context{.show_progress = env.show_progress,
                                 .item_texts = state.item_texts};
  RECO_ASSIGN_OR_RETURN(algo::FittedScorer fitted,
                        algo::FitScorer(choice.algo, split.train, choice.settings, context));
  eval::EvalOptions options;
  options.ks = {10, 20};
  options.num_threads = env.threads;
  options.show_progress = env.show_progress;
  RECO_ASSIGN_OR_RETURN(eval::EvalResult result, eval::Evaluate(split, *fitted.scorer, options));
  std::map<std::string, double> metrics;
  for (const eval::NamedMetric& m : result.metrics) metrics[m.name] = m.value;
  metrics["fit_seconds"] = fitted.train_seconds;
  metrics["users_evaluated"] = static_cast<double>(result.users_evaluated);
  return metrics;
}

void WriteModelEntry(JsonWriter& w, std::string_view role, const std::string& run_id,
                     const ModelChoice& choice, const std::map<std::string, double>& metrics) {
  w.BeginObject().Key("role").String(role).Key("run_id").String(run_id);
  w.Key("algo").String(choice.algo).Key("settings").BeginObject();
  for (const auto& [k, v] : choice.settings) w.Key(k).String(v);
  w.EndObject().Key("metrics").BeginObject();
  for (const auto& [k, v] : metrics) w.Key(k).Double(v);
  w.EndObject().EndObject();
}

Status WriteExposureMetrics(const PipelineEnv& env, TaskContext& ctx) {
  std::vector<fs::path> logs = ExposureLogFiles(env.data_dir);
  auto window = static_cast<TimestampUs>(env.click_window_seconds * kMicrosPerSecond);
  RECO_ASSIGN_OR_RETURN(
      ExposureMetrics m,
      ReadExposureMetrics(logs, *env.store, env.config->recommend.feedback_types, window));
  ctx.Log(fmt::format("exposure log: {} file(s), {} lines ({} bad), {} model version(s)",
                      m.files.size(), m.lines, m.bad_lines, m.by_version.size()));
  if (ctx.dry_run()) return Status::Ok();
  return WriteFileAtomic(env.data_dir / kExposureMetricsFile,
                         ExposureMetricsJson(m, env.clock->NowMicros()));
}

// One evaluated configuration of the summary.
struct Evaluated {
  std::string run_id;
  ModelChoice choice;
  std::map<std::string, double> metrics;
};

// The production version (unless it is the candidate itself), refitted from its run params.
Result<std::optional<Evaluated>> EvaluateProduction(const PipelineEnv& env,
                                                    const SharedState& state,
                                                    const std::string& candidate_id,
                                                    TaskContext& ctx) {
  registry::ModelRegistry registry(env.data_dir, *env.clock);
  Result<registry::ModelVersion> prod = registry.Resolve(registry::kProduction);
  if (!prod.ok()) {
    if (prod.status().code() == StatusCode::kNotFound) return std::optional<Evaluated>();
    return prod.status();
  }
  if (prod->run_id == candidate_id) return std::optional<Evaluated>();
  registry::RunTracker tracker(env.data_dir, *env.clock);
  Result<registry::RunRecord> run = tracker.Get(prod->run_id);
  Evaluated out{prod->run_id,
                ChoiceFromParams(run.ok() ? run->params : std::map<std::string, std::string>{}),
                {}};
  RECO_ASSIGN_OR_RETURN(out.metrics, FitAndEvaluate(env, state, out.choice));
  const std::string& metric = env.config->pipeline.gate_metric;
  ctx.Log(fmt::format("production {} ({}): {} = {:.5f}", out.run_id, out.choice.algo, metric,
                      out.metrics[metric]));
  return std::optional<Evaluated>(std::move(out));
}

Status WriteSummary(const PipelineEnv& env, const SharedState& state, const TaskContext& ctx,
                    const Evaluated& candidate, const std::optional<Evaluated>& production) {
  const std::string& metric = env.config->pipeline.gate_metric;
  JsonWriter w;
  w.BeginObject().Key("date").String(ctx.date()).Key("pipeline_run").String(ctx.run().run_id);
  w.Key("evaluated_at").Timestamp(env.clock->NowMicros());
  w.Key("snapshot_id").String(state.dataset->snapshot_id());
  w.Key("holdout").BeginObject().Key("protocol").String("temporal");
  w.Key("leave_last").Int(env.holdout_last);
  w.Key("test_users").Int(static_cast<int64_t>(state.split->users.size())).EndObject();
  w.Key("gate_metric").String(metric);
  w.Key("candidate_run_id").String(candidate.run_id);
  w.Key("production_run_id").String(production ? production->run_id : "");
  w.Key("models").BeginArray();
  WriteModelEntry(w, "candidate", candidate.run_id, candidate.choice, candidate.metrics);
  if (production) {
    WriteModelEntry(w, "production", production->run_id, production->choice, production->metrics);
  }
  w.EndArray().Key("ratio");
  double prod_value = production ? production->metrics.at(metric) : 0;
  if (prod_value > 0) {
    w.Double(candidate.metrics.at(metric) / prod_value);
  } else {
    w.Null();
  }
  w.EndObject();
  RECO_RETURN_IF_ERROR(EnsureDirectory(env.data_dir / kEvaluationDir));
  return WriteFileAtomic(env.data_dir / kSummaryFile, w.Take());
}

Status EvaluateTask(const PipelineEnv& env, SharedState& state, TaskContext& ctx) {
  const std::string metric = env.config->pipeline.gate_metric;
  if (ctx.dry_run()) {
    ctx.SetSummary(
        fmt::format("would evaluate the new model and production on the holdout ({}) "
                    "and write {} and {}",
                    metric, kSummaryFile, kExposureMetricsFile));
    return WriteExposureMetrics(env, ctx);
  }
  std::optional<std::string> candidate_id = ctx.Output(kOutTrainRunId);
  if (!candidate_id) {
    return FailedPrecondition("no model trained in this run: run train_models first");
  }
  registry::RunTracker tracker(env.data_dir, *env.clock);
  RECO_ASSIGN_OR_RETURN(registry::RunRecord candidate_run, tracker.Get(*candidate_id));
  Evaluated candidate{*candidate_id, ChoiceFromParams(candidate_run.params), {}};
  RECO_RETURN_IF_ERROR(BuildSplit(env, state, ctx));
  RECO_ASSIGN_OR_RETURN(candidate.metrics, FitAndEvaluate(env, state, candidate.choice));
  if (!candidate.metrics.contains(metric)) {
    return InvalidArgument("pipeline.gate_metric \"" + metric +
                               "\" is not computed by the evaluation (e.g. ndcg@10, recall@20)",
                           "pipeline.gate_metric");
  }
  double value = candidate.metrics[metric];
  ctx.Log(fmt::format("candidate {} ({}): {} = {:.5f}", candidate.run_id, candidate.choice.algo,
                      metric, value));
  RECO_ASSIGN_OR_RETURN(std::optional<Evaluated> production,
                        EvaluateProduction(env, state, candidate.run_id, ctx));
  std::map<std::string, double> offline;
  for (const auto& [k, v] : candidate.metrics) {
    if (k.find('@') != std::string::npos) offline[k] = v;
  }
  registry::ModelRegistry registry(env.data_dir, *env.clock);
  RECO_RETURN_IF_ERROR(registry.SetMetrics(candidate.run_id, offline));
  RECO_RETURN_IF_ERROR(tracker.AddMetrics(candidate.run_id, offline));
  RECO_RETURN_IF_ERROR(WriteSummary(env, state, ctx, candidate, production));
  RECO_RETURN_IF_ERROR(WriteExposureMetrics(env, ctx));

  ctx.SetOutput(std::string(kOutGateMetric), metric);
  ctx.SetOutput(std::string(kOutCandidateMetric), Num(value));
  ctx.SetOutput(std::string(kOutProductionRunId), production ? production->run_id : "");
  ctx.SetOutput(std::string(kOutProductionMetric),
                production ? Num(production->metrics[metric]) : std::string());
  ctx.SetSummary(production ? fmt::format("{}: new {:.4f} vs production {:.4f}", metric, value,
                                          production->metrics[metric])
                            : fmt::format("{}: new {:.4f} (no production model)", metric, value));
  return Status::Ok();
}

Status ReconcileTask(const PipelineEnv& env, TaskContext& ctx) {
  const std::string& metric = env.config->pipeline.gate_metric;
  auto window = static_cast<TimestampUs>(env.click_window_seconds * kMicrosPerSecond);
  RECO_ASSIGN_OR_RETURN(ExposureMetrics m,
                        ReadExposureMetrics(ExposureLogFiles(env.data_dir), *env.store,
                                            env.config->recommend.feedback_types, window));
  registry::ModelRegistry registry(env.data_dir, *env.clock);
  RECO_ASSIGN_OR_RETURN(registry::RegistryContents contents, registry.Load());
  std::map<std::string, double> offline;
  for (const registry::ModelVersion& v : contents.versions) {
    auto it = v.metrics.find(metric);
    if (it != v.metrics.end()) offline[v.run_id] = it->second;
  }
  double divergence = env.config->pipeline.reconcile_divergence;
  std::vector<ReconcileRow> rows = Reconcile(m.by_version, offline, divergence);
  int divergent = 0;
  for (const ReconcileRow& r : rows) {
    ctx.Log(fmt::format("{}: ctr {:.4f} over {} exposures, {} {}, ranks {}/{}{}", r.model_version,
                        r.online.ctr(), r.online.exposures, metric,
                        r.offline ? fmt::format("{:.4f}", *r.offline) : "n/a", r.online_rank,
                        r.offline_rank, r.divergent ? " DIVERGENT" : ""));
    divergent += r.divergent ? 1 : 0;
  }
  fs::path path = ReconciliationPath(env.data_dir, ctx.date());
  ctx.SetSummary(fmt::format("{}{} version(s), {} divergent -> {}",
                             ctx.dry_run() ? "would compare " : "", rows.size(), divergent,
                             path.filename().string()));
  if (ctx.dry_run()) return Status::Ok();
  RECO_RETURN_IF_ERROR(EnsureDirectory(path.parent_path()));
  return WriteFileAtomic(
      path, ReconciliationJson(rows, ctx.date(), metric, divergence, env.clock->NowMicros()));
}

std::string ReloadBody(const std::string& run_id, const RunRequest& request) {
  JsonWriter w;
  w.BeginObject().Key("run_id").String(run_id).Key("mode").String(request.mode);
  w.Key("rollout").Double(request.mode == "canary" ? request.rollout : 1.0).EndObject();
  return w.Take();
}

Status PublishTask(const PipelineEnv& env, TaskContext& ctx) {
  const PipelineConfig& p = env.config->pipeline;
  std::optional<double> quality = ToDouble(ctx.Output(kOutDataQuality));
  std::optional<std::string> run_id = ctx.Output(kOutTrainRunId);
  std::optional<double> candidate = ToDouble(ctx.Output(kOutCandidateMetric));
  if (ctx.dry_run()) {
    ctx.SetSummary(fmt::format("would publish as {} if {} new/production >= {}{}",
                               ctx.request().mode, p.gate_metric, p.gate_min_ratio,
                               env.reload_url.empty() ? "" : ", then POST " + env.reload_url));
    return Status::Ok();
  }
  if (!run_id || !candidate) {
    return FailedPrecondition("nothing to publish: run train_models and evaluate first");
  }
  if (!quality || *quality < p.min_data_quality) {
    std::string why = quality ? fmt::format("data quality {:.3f} below threshold {}", *quality,
                                            p.min_data_quality)
                              : "no data quality score";
    ctx.SetPublished(false, why);
    ctx.SetSummary("not published: " + why);
    return Status::Ok();
  }
  GateDecision gate = DecideGate(p.gate_metric, *candidate,
                                 ToDouble(ctx.Output(kOutProductionMetric)), p.gate_min_ratio);
  if (!gate.publish) {
    ctx.SetPublished(false, "gate: " + gate.reason);
    ctx.SetSummary("not published: gate: " + gate.reason);
    return Status::Ok();
  }
  std::string_view alias =
      ctx.request().mode == "canary" ? registry::kCanary : registry::kProduction;
  if (env.before_publish) RECO_RETURN_IF_ERROR(env.before_publish());
  registry::ModelRegistry registry(env.data_dir, *env.clock,
                                   {.keep_versions = env.config->registry.keep_versions});
  RECO_RETURN_IF_ERROR(registry.Promote(*run_id, alias).status());
  ctx.Log(fmt::format("run {} is now {}", *run_id, alias));
  if (env.after_publish) env.after_publish(*run_id);
  if (!env.reload_url.empty()) {
    if (!env.post) return Internal("a reload URL is set but no HTTP client was given");
    std::string body = ReloadBody(*run_id, ctx.request());
    Result<int> status = env.post(env.reload_url, body, env.reload_token);
    if (!status.ok()) return status.status().WithPrefix("reload at " + env.reload_url);
    if (*status < 200 || *status >= 300) {
      return Unavailable(
          fmt::format("reload at {} answered HTTP {} (MODEL_RELOAD_URL, "
                      "MODEL_RELOAD_TOKEN)",
                      env.reload_url, *status));
    }
    ctx.Log("POST " + env.reload_url + " " + body + " -> " + std::to_string(*status));
  }
  ctx.SetPublished(true, std::string("published as ") + std::string(alias) + ": " + gate.reason);
  ctx.SetSummary(ctx.run().reason);
  return Status::Ok();
}

}  // namespace

std::vector<PipelineTask> MakePipelineTasks(const PipelineEnv& env) {
  auto state = std::make_shared<SharedState>();
  auto bind = [&env](Status (*fn)(const PipelineEnv&, TaskContext&)) {
    return [&env, fn](TaskContext& ctx) { return fn(env, ctx); };
  };
  return {
      {std::string(kTaskExtract), bind(Extract)},
      {std::string(kTaskDataQuality), bind(CheckDataQuality)},
      {std::string(kTaskBuildFeatures),
       [&env, state](TaskContext& ctx) { return BuildFeatures(env, *state, ctx); }},
      {std::string(kTaskTrainModels), bind(TrainModelsTask)},
      {std::string(kTaskEvaluate),
       [&env, state](TaskContext& ctx) { return EvaluateTask(env, *state, ctx); }},
      {std::string(kTaskReconcileMetrics), bind(ReconcileTask)},
      {std::string(kTaskPublish), bind(PublishTask)},
  };
}

}  // namespace reco::pipeline
