#include "app/reco_server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "api/api_service.h"
#include "api/http/http_server.h"
#include "api/tenant_front.h"
#include "app/jobs.h"
#include "app/pipeline_env.h"
#include "app/state_snapshot.h"
#include "cache/open_cache.h"
#include "core/memory.h"
#include "core/periodic_task.h"
#include "grpc/grpc_server.h"
#include "kafka/kafka_ingest.h"
#include "ops/metrics.h"
#include "pipeline/data_quality.h"
#include "pipeline/launcher.h"
#include "scheduler/scheduler.h"
#include "service/analytics_service.h"
#include "service/catalogue_service.h"
#include "service/experiment_service.h"
#include "service/feedback_service.h"
#include "service/job_service.h"
#include "service/model_service.h"
#include "service/pipeline_service.h"
#include "service/realtime_service.h"
#include "service/recommend_service.h"
#include "service/scenario_service.h"
#include "service/tenant_gate.h"
#include "service/tenant_service.h"
#include "serving/content_index.h"
#include "serving/explorer.h"
#include "serving/model_manager.h"
#include "serving/online_state.h"
#include "serving/realtime.h"
#include "serving/recommender.h"
#include "serving/replica_sync.h"
#include "serving/rollout.h"
#include "serving/shared_window_counters.h"
#include "serving/user_profiles.h"
#include "serving/vector_recall.h"
#include "serving/version_bundles.h"
#include "store/open_store.h"

namespace reco {
namespace {

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

// Opens the store with its write metrics (store_writable, store_write_failures_total). A store
// that cannot be written is refused unless database.read_only asks for a read-only server.
Result<std::unique_ptr<Store>> OpenServingStore(const RecoConfig& config,
                                                const std::filesystem::path& data_dir,
                                                MetricsRegistry& metrics) {
  CounterFamily* failures = metrics.AddCounter(
      "store_write_failures_total",
      "Write calls the store could not carry out, by reason (disk_full, read_only, "
      "unavailable, error).",
      {"reason"});
  for (std::string_view reason : {kWriteFailureDiskFull, kWriteFailureReadOnly,
                                  kWriteFailureUnavailable, kWriteFailureError}) {
    failures->WithLabels({std::string(reason)});
  }
  RECO_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                        OpenStore(config, data_dir, [failures](std::string_view reason) {
                          failures->WithLabels({std::string(reason)})->Inc();
                        }));
  const StoreWritability writability = store->Writability();
  if (writability.read_only && !writability.read_only_requested) {
    return FailedPrecondition(
        writability.message +
        "; reco serve does not start on a database it cannot write: fix the file (permissions, "
        "chattr -i, the mount) or start with --read-only (database.read_only = true) to serve "
        "reads from it");
  }
  if (writability.read_only) {
    spdlog::warn(
        "event=store_read_only reason=\"{}\" effect=\"writes answer 503; the "
        "in-process scheduler does not run\"",
        writability.message);
  }
  metrics.AddCallbackGauge(
      "store_writable",
      "1 when the store accepts writes, 0 when it is read-only or its disk is full.",
      [s = store.get()] { return s->Writability().writable ? 1.0 : 0.0; });
  return store;
}

// Idle connections must not exhaust the descriptors the store, models and logs need: the soft
// limit is raised to the hard one, and a configured connection cap above what it allows is
// reported.
void LogOpenFileLimit(const OpenFileLimit& limit, int max_connections) {
  if (limit.now > limit.before) {
    spdlog::info("open file limit raised from {} to {}", limit.before, limit.now);
  }
  if (limit.now > 0 && max_connections > 0 &&
      static_cast<uint64_t>(max_connections) > limit.now - limit.now / 8) {
    spdlog::warn(
        "server.max_connections={} leaves little of the open file limit {} for the store and "
        "model files; raise the limit (ulimit -n, LimitNOFILE=) or lower the cap",
        max_connections, limit.now);
  }
}

// The live exposure log of a tenant's data directory (serving/exposure_log.h).
std::filesystem::path ExposureLogPath(const std::filesystem::path& data_dir) {
  return data_dir / "evaluation" / "exposure_log.jsonl";
}

}  // namespace

// One tenant's object graph over its data directory: the default tenant's (the root, which
// also owns the HTTP server) and one per other tenant, opened by Tenancy.
struct RecoServer::Parts {
  std::string tenant{service::kDefaultTenant};
  RecoConfig tenant_config;  // a non-default tenant's: the server's plus its reco.toml
  service::CatalogueLimitsFn limits;  // a non-default tenant's quotas; empty for default
  TimestampUs created = 0;            // a non-default tenant's creation in the registry
  std::unique_ptr<Store> store;
  MetricsRegistry metrics;
  std::unique_ptr<MetricsHistory> history;  // the console's charts
  std::unique_ptr<PeriodicTask> registry_follower;  // registry.follow_seconds
  std::unique_ptr<OnlineState> state;
  std::unique_ptr<UserProfiles> profiles;  // refreshed by the user_profiles job and reloads
  std::unique_ptr<ContentIndexes> content;  // item vectors; rebuilt by each primary reload
  std::unique_ptr<VectorRecall> vector_recall;  // user-to-item recall over `content`
  std::unique_ptr<ModelManager> models;
  std::unique_ptr<Recommender> recommender;
  std::unique_ptr<ExposureLog> exposure_log;  // null when the file cannot be opened
  // With `cache`: the canary guardrails' counts shared by the replicas (before `rollout`, which
  // borrows it).
  std::unique_ptr<SharedCounts> guardrail_counts;
  std::unique_ptr<Realtime> realtime;  // hot scores, real-time metrics; null when disabled
  std::unique_ptr<Explorer> explorer;  // new users' exploration mix; null unless explore.enabled
  std::unique_ptr<Rollout> rollout;           // canary/shadow split, click join, guardrails
  std::unique_ptr<service::FeedbackService> feedback;
  std::unique_ptr<service::CatalogueService> catalogue;
  std::unique_ptr<service::RecommendService> recommend;
  std::unique_ptr<service::ModelService> model;
  std::unique_ptr<service::PreviewService> preview;
  std::unique_ptr<service::DatasetService> dataset;
  std::unique_ptr<service::ScenarioService> scenarios;
  std::unique_ptr<service::ExperimentService> experiments;
  std::unique_ptr<VersionBundles> experiment_versions;  // model versions experiments serve
  std::unique_ptr<PeriodicTask> experiment_refresher;   // server.experiment_refresh_seconds
  std::unique_ptr<service::AnalyticsService> analytics;
  std::unique_ptr<service::RealtimeService> realtime_service;
  api::ApiDeps deps;  // what the routes (and the gRPC services) call
  std::unique_ptr<api::ApiService> api;
  Router router;                 // a non-default tenant's routes, called by the tenant front
  api::TenantEndpoint endpoint;  // {&router, api}
  std::unique_ptr<HttpServer> http;
  std::unique_ptr<grpcapi::GrpcServer> grpc;  // server.grpc_port >= 0
  std::unique_ptr<Scheduler> scheduler;  // destroyed first: its jobs use the parts above
  std::unique_ptr<pipeline::PipelineLauncher> pipeline;  // runs started over REST
  std::unique_ptr<service::JobService> jobs;             // borrow the scheduler and pipeline
  std::unique_ptr<service::PipelineService> pipelines;
  Cache* cache = nullptr;                 // the server's shared cache; null without cache.url
  // With `cache`: this tenant's state across replicas. Declared last: destroyed (unsubscribed)
  // before the parts its callbacks use.
  std::unique_ptr<ReplicaSync> replicas;

  // Start-up steps, in order; each builds the parts it names from those built before.
  Status OpenState(const RecoConfig& config, const std::filesystem::path& data_dir);
  void LoadModels(const std::filesystem::path& data_dir, const Clock& clock);
  Status BuildRealtime(const RecoConfig& config, const Clock& clock);  // [realtime]
  // [explore], after the rollout: the new users' exploration mix.
  void BuildExplorer(const RecoConfig& config, const Clock& clock, CounterFamily* degraded);
  void BuildServing(const RecoConfig& config, const std::filesystem::path& data_dir,
                    const Clock& clock);
  Status BuildJobs(const RecoConfig& config, const std::filesystem::path& data_dir,
                   const Clock& clock);
  // The services over the parts above (built first), as the routes see them.
  api::ApiDeps MakeServices(const RecoConfig& config, const std::filesystem::path& data_dir,
                            const Clock& clock);
  Status StartHttp(const RecoConfig& config, Router router);
  // With `cache`: shares feedback and model changes with the other replicas.
  Status StartReplicaSync(const RecoConfig& config);
  // Every step above but the HTTP server, for `data_dir` (the default tenant's or another's).
  // `registry`: the tenant registry, given to the default tenant's routes only.
  Status Build(const RecoConfig& config, const std::filesystem::path& data_dir,
               const Clock& clock, service::TenantService* registry);
  // Stops the background threads and closes the store; the object may then be destroyed.
  void Shutdown();
};

// The tenants besides default (docs/tenants.md): the registry, the open tenants' parts and the
// front that routes each request to its tenant.
struct RecoServer::Tenancy {
  Cache* cache = nullptr;  // the server's shared cache; null without cache.url
  std::unique_ptr<service::TenantService> registry;
  std::unique_ptr<service::TenantGate> gate;  // credentials and quotas of REST and gRPC alike
  std::unique_ptr<api::TenantFront> front;
  std::string reload_base;  // "http://host:port" once the server listens
  std::mutex opening_mu;  // one tenant is opened at a time; requests to open ones never wait
  std::mutex mu;          // guards open
  std::map<std::string, std::shared_ptr<Parts>> open;

  std::shared_ptr<Parts> Find(const std::string& name) {
    std::lock_guard lock(mu);
    auto it = open.find(name);
    return it == open.end() ? nullptr : it->second;
  }

  // The parts of the registered tenant `name`, opened on first use.
  Result<std::shared_ptr<Parts>> Open(const service::TenantInfo& info,
                                      const RecoConfig& server_config, const Clock& clock);
  // Closes `name` when it is open (before its directory is removed).
  void Close(const std::string& name);
  void CloseAll();
};

api::ApiDeps RecoServer::Parts::MakeServices(const RecoConfig& config,
                                             const std::filesystem::path& data_dir,
                                             const Clock& clock) {
  feedback = std::make_unique<service::FeedbackService>(
      *store, *state, rollout.get(), metrics,
      service::FeedbackServiceOptions{.auto_insert_users = config.database.auto_insert_user,
                                      .auto_insert_items = config.database.auto_insert_item,
                                      .limits = limits,
                                      .realtime = realtime.get(),
                                      .after_write = [this](std::span<const Feedback> rows) {
                                        if (replicas) (void)replicas->OnFeedbackWritten(rows);
                                      },
                                      .after_delete = [this](std::string_view user_id) {
                                        if (replicas) (void)replicas->OnUserFeedbackDeleted(user_id);
                                      }});
  catalogue = std::make_unique<service::CatalogueService>(*store, *state, limits, content.get());
  experiments = std::make_unique<service::ExperimentService>(
      *store, clock, service::ExperimentServiceOptions{.exposure_log = ExposureLogPath(data_dir)});
  experiment_versions = std::make_unique<VersionBundles>(
      [m = models.get()](std::string_view run_id) { return m->LoadVersionBundle(run_id); }, clock,
      &metrics);
  recommend = std::make_unique<service::RecommendService>(
      *recommender, models->bundles(), *state, *rollout, *feedback, clock, experiments.get(),
      experiment_versions.get(), content.get());
  if (explorer != nullptr) recommend->SetExplorer(explorer.get());
  model = std::make_unique<service::ModelService>(*models, rollout.get(), metrics, data_dir, clock);
  model->SetOnServingChanged([this] {
    if (replicas) (void)replicas->OnModelsChanged();
  });
  preview = std::make_unique<service::PreviewService>(*rollout, models->bundles(), *catalogue,
                                                      *feedback);
  dataset = std::make_unique<service::DatasetService>(*store, *catalogue, *feedback);
  scenarios = std::make_unique<service::ScenarioService>(*store, *recommend, clock);
  analytics = std::make_unique<service::AnalyticsService>(
      *store, clock,
      service::AnalyticsServiceOptions{
          .exposure_log = ExposureLogPath(data_dir),
          .flush_log = [log = exposure_log.get()] {
            if (log != nullptr) log->Flush();
          },
          .click_types = config.recommend.feedback_types.positive});
  realtime_service = std::make_unique<service::RealtimeService>(realtime.get(), *state,
                                                                models->bundles(), *rollout);
  jobs = std::make_unique<service::JobService>(*scheduler, *store);
  pipelines = std::make_unique<service::PipelineService>(
      [launcher = pipeline.get()](pipeline::RunRequest request) {
        return launcher->Start(std::move(request));
      },
      data_dir, clock);
  history = std::make_unique<MetricsHistory>(
      metrics,
      MetricsHistoryOptions{.interval_seconds = config.console.history_interval,
                            .retention_seconds = config.console.history_hours * 3600},
      clock);
  return api::ApiDeps{.config = &config,
                      .catalogue = catalogue.get(),
                      .feedback = feedback.get(),
                      .recommend = recommend.get(),
                      .model = model.get(),
                      .store = store.get(),
                      .metrics = &metrics,
                      .clock = &clock,
                      .jobs = jobs.get(),
                      .pipelines = pipelines.get(),
                      .history = history.get(),
                      .preview = preview.get(),
                      .experiments = experiments.get(),
                      .dataset = dataset.get(),
                      .scenarios = scenarios.get(),
                      .analytics = analytics.get(),
                      .realtime = realtime_service.get()};
}

RecoServer::RecoServer(RecoServerOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

RecoServer::~RecoServer() { Stop(); }

int RecoServer::port() const { return parts_ && parts_->http ? parts_->http->port() : 0; }

Status RecoServer::Parts::OpenState(const RecoConfig& config,
                                    const std::filesystem::path& data_dir) {
  RECO_ASSIGN_OR_RETURN(store, OpenServingStore(config, data_dir, metrics));
  state = std::make_unique<OnlineState>(app::OnlineStateOptionsFor(config));
  // A snapshot of the state spares the replay of every feedback row (minutes at 50M rows).
  RECO_ASSIGN_OR_RETURN(
      StateLoadReport loaded,
      state->LoadWithSnapshot(*store, app::StateSnapshotFor(config, data_dir, tenant)));
  const int64_t max_seq = loaded.max_seq;
  spdlog::info(
      "online state loaded items={} feedback_seq={} from_snapshot={} snapshot_rows={} "
      "replayed_rows={} snapshot_written={} seconds={:.3f}",
      state->ItemCount(), max_seq, loaded.from_snapshot, loaded.snapshot_rows,
      loaded.replayed_rows, loaded.snapshot_written, loaded.seconds);
  profiles = std::make_unique<UserProfiles>(*state, *store, max_seq);
  return Status::Ok();
}

void RecoServer::Parts::LoadModels(const std::filesystem::path& data_dir, const Clock& clock) {
  Gauge* loaded_ts = metrics.GetGauge("model_loaded_timestamp_seconds",
                                      "Unix time at which the serving models were loaded.");
  Gauge* created_ts =
      metrics.GetGauge("model_created_timestamp_seconds",
                       "Unix time at which the primary serving models were trained (their files "
                       "written); 0 before any model is loaded.");
  models = std::make_unique<ModelManager>(
      data_dir / "models", *state, clock,
      [loaded_ts, created_ts, profiles = profiles.get(), content = content.get(),
       data_dir](const ReloadReport& r) {
        loaded_ts->Set(static_cast<double>(r.loaded_at) / kMicrosPerSecond);
        if (r.variant == ServingVariant::kPrimary && content != nullptr) {
          // The served version's text model; the indexes are rebuilt from the store.
          if (Status st = content->Reload(data_dir, r.run_id); !st.ok()) {
            spdlog::warn("event=content_reload_failed reason=\"{}\"", st.ToString());
          }
        }
        if (r.variant == ServingVariant::kPrimary) {
          created_ts->Set(static_cast<double>(r.created) / kMicrosPerSecond);
        }
        // A reload also picks up feedback other processes wrote (e.g. the pipeline's extract).
        if (Result<ProfileRefreshReport> refreshed = profiles->Refresh(); !refreshed.ok()) {
          spdlog::warn("event=user_profiles_refresh_failed reason=\"{}\"",
                       refreshed.status().ToString());
        }
      });
  auto report = models->Reload(/*fail_on_rejected=*/false);
  if (!report.ok()) {
    spdlog::warn("serving without models: {}", report.status().message());
    // Supplied vectors need no model.
    if (Status st = content->Rebuild(); !st.ok()) {
      spdlog::warn("event=content_rebuild_failed reason=\"{}\"", st.ToString());
    }
    return;
  }
  for (const auto& r : report->rejected) spdlog::warn("model file rejected: {}", r);
  models->RestoreVariants();  // canary / shadow active before a restart
}

void RecoServer::Parts::BuildServing(const RecoConfig& config,
                                     const std::filesystem::path& data_dir, const Clock& clock) {
  CounterFamily* degraded = metrics.AddCounter(
      "recommendation_degraded_total",
      "Recommendation answers that fell back along the chain, by reason.", {"reason"});
  recommender = std::make_unique<Recommender>(
      *state, models->bundles(), RecommenderOptions{},
      [degraded](std::string_view reason) { degraded->WithLabels({std::string(reason)})->Inc(); });
  if (content != nullptr) {
    vector_recall =
        std::make_unique<VectorRecall>(*content, VectorRecallOptionsFrom(config.content));
    recommender->SetVectorRecall(vector_recall.get());
  }
  if (tenant == service::kDefaultTenant) {  // the process's, shown with the default tenant's
    metrics.AddCallbackGauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                             ResidentBytes);
  }
  auto opened = ExposureLog::Open(
      {.path = ExposureLogPath(data_dir),
       .max_bytes = static_cast<uint64_t>(config.registry.exposure_log_max_mb) << 20});
  if (opened.ok()) {
    exposure_log = std::move(opened).value();
  } else {
    spdlog::warn("exposure log disabled: {}", opened.status().ToString());
  }
  rollout = std::make_unique<Rollout>(
      *models, *recommender, *state, RecommenderOptions{}, exposure_log.get(), metrics, clock,
      RolloutOptions{.guardrails = {.min_exposures = config.registry.canary_min_exposures,
                                    .max_error_rate = config.registry.canary_max_error_rate,
                                    .min_ctr_ratio = config.registry.canary_min_ctr_ratio},
                     .realtime = realtime.get(),
                     .shared_counts = guardrail_counts.get()});
  if (config.explore.enabled) BuildExplorer(config, clock, degraded);
}

void RecoServer::Parts::BuildExplorer(const RecoConfig& config, const Clock& clock,
                                      CounterFamily* degraded) {
  const ExploreConfig& c = config.explore;
  ItemCountsFn counts;
  if (realtime == nullptr) {
    spdlog::warn("event=explore_without_counts reason=\"realtime.enabled is false: the bandit "
                 "draws fresh items from its prior alone\"");
  } else if (Result<ItemCountsFn> found = RealtimeItemCounts(*realtime, c.window); found.ok()) {
    counts = std::move(found).value();
  } else {
    spdlog::warn("event=explore_without_counts reason=\"{}\"", found.status().ToString());
  }
  explorer = std::make_unique<Explorer>(
      *state, *recommender, clock,
      ExploreOptions{.min_history = c.min_history,
                     .share = c.share,
                     .max_categories = static_cast<size_t>(c.max_categories),
                     .fresh_candidates = static_cast<size_t>(c.fresh_candidates),
                     .fresh_max_age_s = static_cast<int64_t>(c.fresh_max_age_hours * 3600),
                     .prior = {.alpha = c.prior_alpha, .beta = c.prior_beta},
                     .refresh_seconds = c.refresh_seconds,
                     .seed = static_cast<uint64_t>(c.seed)},
      std::move(counts),
      // Onboarding: the categories the user picked, in the user's labels (docs/content.md).
      [store = store.get(), key = c.label_key](std::string_view user_id) {
        Result<User> user = store->GetUser(user_id);
        return user.ok() ? ChosenCategories(user->labels_json, key) : std::vector<std::string>();
      },
      [degraded](std::string_view reason) { degraded->WithLabels({std::string(reason)})->Inc(); });
  spdlog::info("event=explore_enabled tenant={} min_history={} share={} fresh_candidates={}",
               tenant, c.min_history, c.share, c.fresh_candidates);
}

Status RecoServer::Parts::BuildRealtime(const RecoConfig& config, const Clock& clock) {
  if (cache != nullptr && cache->shared()) {
    // Kept 30 days after the last write: longer than any canary stays a canary.
    guardrail_counts = std::make_unique<SharedCounts>(
        *cache, SharedCountersOptions{.prefix = CacheKeys(tenant).counters("guardrails")},
        30LL * 86400 * 1000);
    if (Status st = guardrail_counts->Sync(); !st.ok()) {
      spdlog::warn("event=shared_counts_sync_failed tenant={} reason=\"{}\"", tenant,
                   st.ToString());
    }
  }
  if (!config.realtime.enabled) return Status::Ok();
  RECO_ASSIGN_OR_RETURN(RealtimeOptions options, service::RealtimeOptionsFromConfig(config));
  WindowCountersFactory factory;
  if (cache != nullptr && cache->shared()) {
    // The windows are shared by the replicas through the cache (docs/realtime.md#replicas).
    factory = [cache = cache, &clock, root = CacheKeys(tenant).counters("rt")](
                  WindowCountersOptions o) {
      return NewSharedWindowCounters(std::move(o), *cache, clock, {.prefix = root + ":"});
    };
  }
  RECO_ASSIGN_OR_RETURN(realtime, Realtime::Create(std::move(options), clock, factory));
  return Status::Ok();
}

Status RecoServer::Parts::BuildJobs(const RecoConfig& config, const std::filesystem::path& data_dir,
                                    const Clock& clock) {
  app::CacheLeaderLock lock;
  if (cache != nullptr && cache->shared()) {
    lock = {.cache = cache, .name = CacheKeys(tenant).lock("scheduler")};
  }
  RECO_ASSIGN_OR_RETURN(scheduler, app::MakeServeScheduler(config, data_dir, *store, *models,
                                                           *profiles, clock, &metrics, lock,
                                                           content.get()));
  pipeline::PipelineEnv env = app::MakePipelineEnv(config, data_dir, *store, clock);
  env.metrics = std::make_shared<pipeline::PipelineRunMetrics>(metrics);
  pipeline =
      std::make_unique<pipeline::PipelineLauncher>(std::move(env), config.pipeline.task_retries);
  metrics.AddCallbackGauge(pipeline::kDataQualityScoreGauge,
                           "Score in [0,1] of the last pipeline data_quality task.",
                           [data_dir] { return pipeline::LastDataQualityScore(data_dir); });
  metrics
      .GetGauge("data_quality_gate_score",
                "pipeline.min_data_quality: runs scoring below it stop before publishing.")
      ->Set(config.pipeline.min_data_quality);
  return Status::Ok();
}

Status RecoServer::Parts::StartHttp(const RecoConfig& config, Router router) {
  HttpServerOptions http_options{.host = config.server.host,
                                 .port = config.server.http_port,
                                 .threads = config.server.threads,
                                 .blocking_threads = config.server.blocking_threads,
                                 .max_body_bytes = config.server.max_body_bytes,
                                 .drain_seconds = config.server.drain_seconds,
                                 .max_connections = config.server.max_connections,
                                 .request_read_timeout_seconds = config.server.request_read_timeout,
                                 .max_inflight_body_bytes = config.server.max_inflight_body_bytes,
                                 .buffer_release_bytes = config.server.buffer_release_bytes,
                                 .metrics = &metrics};
  http_options.on_request_done = [service = api.get()](const RequestLog& log) {
    // Requests of other tenants are counted in their own metrics by the tenant front.
    if (log.route.starts_with(api::kTenantRoutePrefix)) return;
    service->OnRequestDone(log.route, log.method, log.status, log.duration_seconds);
  };
  http = std::make_unique<HttpServer>(std::move(http_options), std::move(router));
  RECO_RETURN_IF_ERROR(http->Start());
  pipeline->SetDefaultReloadUrl(
      "http://" +
      (config.server.host == "0.0.0.0" ? std::string("127.0.0.1") : config.server.host) + ":" +
      std::to_string(http->port()) + "/models/reload");
  return Status::Ok();
}

Status RecoServer::Parts::Build(const RecoConfig& config, const std::filesystem::path& data_dir,
                                const Clock& clock, service::TenantService* registry) {
  RECO_RETURN_IF_ERROR(OpenState(config, data_dir));
  content =
      std::make_unique<ContentIndexes>(*store, *state, clock, ContentOptionsFrom(config.content));
  LoadModels(data_dir, clock);
  RECO_RETURN_IF_ERROR(BuildRealtime(config, clock));
  BuildServing(config, data_dir, clock);
  RECO_RETURN_IF_ERROR(BuildJobs(config, data_dir, clock));
  deps = MakeServices(config, data_dir, clock);
  RECO_RETURN_IF_ERROR(StartReplicaSync(config));
  deps.tenants = registry;
  deps.authorized_by_tenant_front = tenant != service::kDefaultTenant;
  api = std::make_unique<api::ApiService>(deps);
  api->RegisterRoutes(router);
  endpoint = {.router = &router, .api = api.get()};
  if (config.server.experiment_refresh_seconds > 0) {
    // Experiments started or stopped through another process on the same store.
    experiment_refresher = std::make_unique<PeriodicTask>(
        std::chrono::duration<double>(config.server.experiment_refresh_seconds),
        [recommend = recommend.get(), name = tenant] {
          if (Status st = recommend->RefreshExperiments(); !st.ok()) {
            spdlog::warn("event=experiment_refresh_failed tenant={} reason=\"{}\"", name,
                         st.ToString());
          }
        });
    experiment_refresher->Start();
  }
  return Status::Ok();
}

Status RecoServer::Parts::StartReplicaSync(const RecoConfig& config) {
  if (cache == nullptr || !cache->shared()) return Status::Ok();
  ReplicaSyncOptions options{
      .tenant = tenant,
      .history = {.max_recent = config.recommend.history_size},
      .on_models_published =
          [model = model.get(), name = tenant] {
            if (auto followed = model->FollowRegistry(); !followed.ok()) {
              spdlog::warn("event=registry_follow_failed tenant={} reason=\"{}\"", name,
                           followed.status().ToString());
            }
          },
      // Back after an outage (or connected for the first time): what the other replicas wrote
      // meanwhile is in the store when they share it, and models may have changed.
      .on_connected =
          [profiles = profiles.get(), model = model.get(), name = tenant] {
            if (auto refreshed = profiles->Refresh(); !refreshed.ok()) {
              spdlog::warn("event=user_profiles_refresh_failed tenant={} reason=\"{}\"", name,
                           refreshed.status().ToString());
            }
            if (auto followed = model->FollowRegistry(); !followed.ok()) {
              spdlog::warn("event=registry_follow_failed tenant={} reason=\"{}\"", name,
                           followed.status().ToString());
            }
          },
      .on_user_reset =
          [feedback = feedback.get(), name = tenant](const std::string& user_id) {
            if (Status st = feedback->ReloadUser(user_id); !st.ok()) {
              spdlog::warn("event=replica_user_reset_failed tenant={} reason=\"{}\"", name,
                           st.ToString());
            }
          }};
  RECO_ASSIGN_OR_RETURN(replicas, ReplicaSync::Start(*cache, *state, std::move(options)));
  spdlog::info("event=replica_sync_started tenant={} cache={} origin={}", tenant,
               cache->Describe(), replicas->origin());
  return Status::Ok();
}

void RecoServer::Parts::Shutdown() {
  // `replicas` is left to the destructor (declared last, destroyed first): requests still in
  // flight on a closing tenant may call it until the last reference to the parts goes.
  if (experiment_refresher) experiment_refresher->Stop();
  if (http) http->Stop();
  if (scheduler) scheduler->Stop();
  if (history) history->Stop();
  pipeline.reset();  // waits for a run in progress
  if (store) store->Close();
}

Result<std::shared_ptr<RecoServer::Parts>> RecoServer::Tenancy::Open(
    const service::TenantInfo& info, const RecoConfig& server_config, const Clock& clock) {
  const std::string& name = info.name;
  // A tenant deleted and created again by another process (`reco tenant`) is a new directory.
  auto current = [&info](const std::shared_ptr<Parts>& parts) {
    return parts != nullptr && parts->created == info.created;
  };
  if (std::shared_ptr<Parts> found = Find(name); current(found)) return found;
  std::lock_guard opening(opening_mu);
  std::shared_ptr<Parts> found = Find(name);
  if (current(found)) return found;
  if (found != nullptr) Close(name);
  const std::filesystem::path dir = registry->DirOf(name);
  auto parts = std::make_shared<Parts>();
  parts->tenant = name;
  parts->cache = cache;
  parts->created = info.created;
  parts->tenant_config = server_config;
  parts->tenant_config.console.enabled = false;  // the console acts on the default tenant
  parts->limits = [tenants = registry.get(), name]() -> service::CatalogueLimits {
    Result<service::TenantInfo> info = tenants->Get(name);
    if (!info.ok()) return {};
    return {.max_users = info->quotas.max_users, .max_items = info->quotas.max_items};
  };
  if (std::filesystem::exists(dir / "reco.toml")) {
    if (Status st = parts->tenant_config.ApplyTenantFile(dir / "reco.toml"); !st.ok()) {
      return Unavailable("tenant " + name + " has a configuration reco serve cannot use: " +
                         st.ToString());
    }
  }
  if (Status built = parts->Build(parts->tenant_config, dir, clock, nullptr); !built.ok()) {
    parts->Shutdown();
    return Unavailable("tenant " + name + " could not be opened: " + built.ToString());
  }
  if (!reload_base.empty()) {
    parts->pipeline->SetDefaultReloadUrl(reload_base + "/t/" + name + "/models/reload");
  }
  const RecoConfig& config = parts->tenant_config;
  if (config.worker.in_serve && !config.database.read_only) parts->scheduler->Start();
  spdlog::info("event=tenant_opened tenant={} dir={} models_loaded={}", name, dir.string(),
               parts->models->models_loaded());
  std::lock_guard lock(mu);
  open.emplace(name, parts);
  return parts;
}

void RecoServer::Tenancy::Close(const std::string& name) {
  std::shared_ptr<Parts> parts;
  {
    std::lock_guard lock(mu);
    auto it = open.find(name);
    if (it == open.end()) return;
    parts = std::move(it->second);
    open.erase(it);
  }
  parts->Shutdown();
  spdlog::info("event=tenant_closed tenant={}", name);
}

void RecoServer::Tenancy::CloseAll() {
  std::map<std::string, std::shared_ptr<Parts>> all;
  {
    std::lock_guard lock(mu);
    all.swap(open);
  }
  for (auto& [name, parts] : all) parts->Shutdown();
}

// The tenant front over the default tenant's routes (moved out of `root`).
Router RecoServer::MakeFront(Parts& root) {
  Tenancy* t = tenancy_.get();
  api::TenantFrontOptions front{
      .gate = t->gate.get(),
      .open = [this, t](const service::TenantInfo& info)
          -> Result<std::shared_ptr<api::TenantEndpoint>> {
        RECO_ASSIGN_OR_RETURN(std::shared_ptr<Parts> parts, t->Open(info, options_.config, clock_));
        return std::shared_ptr<api::TenantEndpoint>(parts, &parts->endpoint);
      }};
  t->front = std::make_unique<api::TenantFront>(std::move(front), std::move(root.router));
  return t->front->BuildRouter();
}

// Opens every registered tenant; one that fails to open is logged and tried again on its next
// request.
void RecoServer::OpenRegisteredTenants() {
  Result<std::vector<service::TenantInfo>> tenants = tenancy_->registry->List();
  if (!tenants.ok()) {
    spdlog::warn("event=tenant_registry_unreadable reason=\"{}\"", tenants.status().ToString());
    return;
  }
  for (const service::TenantInfo& info : *tenants) {
    if (auto opened = tenancy_->Open(info, options_.config, clock_); !opened.ok()) {
      spdlog::warn("event=tenant_open_failed tenant={} reason=\"{}\"", info.name,
                   opened.status().ToString());
    }
  }
}

Status RecoServer::Start() {
  auto start = std::chrono::steady_clock::now();
  const RecoConfig& config = options_.config;
  LogOpenFileLimit(RaiseOpenFileLimit(), config.server.max_connections);
  // Request bodies and their parse buffers above this size are unmapped when freed.
  ReturnLargeAllocationsOnFree(static_cast<size_t>(config.server.buffer_release_bytes));
  parts_ = std::make_unique<Parts>();
  Parts& p = *parts_;
  tenancy_ = std::make_unique<Tenancy>();
  tenancy_->registry = std::make_unique<service::TenantService>(options_.data_dir, clock_);
  tenancy_->gate = std::make_unique<service::TenantGate>(service::TenantGateOptions{
      .tenants = tenancy_->registry.get(), .admin_key = config.server.api_key, .clock = &clock_});
  tenancy_->registry->SetBeforeDelete([this, t = tenancy_.get()](const std::string& name) {
    t->Close(name);
    if (Status st = DeleteTenantStore(options_.config, name); !st.ok()) {
      spdlog::warn("event=tenant_store_not_deleted tenant={} reason=\"{}\"", name, st.ToString());
    }
  });
  RECO_RETURN_IF_ERROR(OpenSharedCache(p));
  tenancy_->cache = cache_.get();
  RECO_RETURN_IF_ERROR(p.Build(config, options_.data_dir, clock_, tenancy_->registry.get()));
  RECO_RETURN_IF_ERROR(p.StartHttp(config, MakeFront(p)));
  tenancy_->reload_base =
      "http://" +
      (config.server.host == "0.0.0.0" ? std::string("127.0.0.1") : config.server.host) + ":" +
      std::to_string(p.http->port());
  OpenRegisteredTenants();
  if (config.server.grpc_port >= 0) {  // every tenant's services, by metadata x-tenant-id
    Tenancy* t = tenancy_.get();
    grpcapi::GrpcTenancy tenancy{
        .gate = t->gate.get(),
        .open = [this, t](const service::TenantInfo& info)
            -> Result<std::shared_ptr<const api::ApiDeps>> {
          RECO_ASSIGN_OR_RETURN(std::shared_ptr<Parts> parts,
                                t->Open(info, options_.config, clock_));
          return std::shared_ptr<const api::ApiDeps>(parts, &parts->deps);
        }};
    p.grpc = std::make_unique<grpcapi::GrpcServer>(
        grpcapi::GrpcServerOptions{.host = config.server.host,
                                   .port = config.server.grpc_port,
                                   .max_message_bytes = config.server.grpc_max_message_bytes,
                                   .drain_seconds = config.server.drain_seconds},
        p.deps, std::move(tenancy));
    RECO_RETURN_IF_ERROR(p.grpc->Start());
  }
  p.history->Start();
  if (config.registry.follow_seconds > 0) {
    p.registry_follower = std::make_unique<PeriodicTask>(
        std::chrono::duration<double>(config.registry.follow_seconds), [model = p.model.get()] {
          Result<std::optional<ReloadReport>> followed = model->FollowRegistry();
          if (!followed.ok()) {
            spdlog::warn("event=registry_follow_failed reason=\"{}\"", followed.status().ToString());
          }
        });
    p.registry_follower->Start();
  }
  if (std::string warning = api::AdminAuthWarning(
          {.api_key = config.server.api_key, .reload_token = config.server.reload_token});
      !warning.empty()) {
    spdlog::warn("{}", warning);
  }
  if (config.worker.in_serve && !config.database.read_only) {
    p.scheduler->Start();
    spdlog::info("scheduler running in-process holder={}", p.scheduler->holder());
  }
  RECO_RETURN_IF_ERROR(StartKafka());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("reco serve listening on http://{}:{} ready_seconds={:.3f} models_loaded={}",
               config.server.host, p.http->port(), secs, p.models->models_loaded());
  return Status::Ok();
}

Status RecoServer::OpenSharedCache(Parts& root) {
  const RecoConfig& config = options_.config;
  if (config.cache.url.empty()) return Status::Ok();
  CounterFamily* errors = root.metrics.AddCounter(
      "cache_errors_total",
      "Calls to the shared cache (Redis) that failed, by operation; serving goes on from local "
      "state meanwhile.",
      {"op"});
  for (std::string_view op : {"history", "counters", "lock", "publish", "subscribe", "ping"}) {
    errors->WithLabels({std::string(op)});
  }
  Result<std::unique_ptr<Cache>> opened = OpenCache(config, [errors](std::string_view op) {
    errors->WithLabels({std::string(op)})->Inc();
  });
  if (!opened.ok()) {
    // The message names the URL, its password masked; never a fallback to the memory cache.
    return Status(opened.status().code(),
                  opened.status().message() +
                      " (cache.url is set: reco serve does not start without that cache)",
                  "cache.url");
  }
  cache_ = std::move(opened).value();
  root.cache = cache_.get();
  spdlog::info("event=cache_opened url={}", cache_->Describe());
  return Status::Ok();
}

Status RecoServer::StartKafka() {
  const KafkaConfig& c = options_.config.kafka;
  if (c.brokers.empty()) return Status::Ok();
  kafka::KafkaIngestOptions options{.brokers = c.brokers,
                                    .group_id = c.group_id,
                                    .item_topic = c.item_topic,
                                    .feedback_topic = c.feedback_topic,
                                    .dead_letter_topic = c.dead_letter_topic,
                                    .tenants = c.tenants,
                                    .batch_size = c.batch_size,
                                    .session_timeout_seconds = c.session_timeout_seconds};
  if (options.tenants.empty()) {
    options.tenants = {std::string(service::kDefaultTenant)};
    RECO_ASSIGN_OR_RETURN(std::vector<service::TenantInfo> registered, tenancy_->registry->List());
    for (const service::TenantInfo& info : registered) options.tenants.push_back(info.name);
  }
  Parts& root = *parts_;
  kafka::TargetResolver resolver =
      [this, &root](const std::string& tenant) -> Result<kafka::IngestTarget> {
    if (tenant == service::kDefaultTenant) {
      return kafka::IngestTarget{root.catalogue.get(), root.feedback.get()};
    }
    RECO_ASSIGN_OR_RETURN(service::TenantInfo info, tenancy_->registry->Get(tenant));
    RECO_ASSIGN_OR_RETURN(std::shared_ptr<Parts> parts,
                          tenancy_->Open(info, options_.config, clock_));
    return kafka::IngestTarget{parts->catalogue.get(), parts->feedback.get(), parts};
  };
  kafka_ = std::make_unique<kafka::KafkaIngest>(std::move(options), std::move(resolver),
                                                root.metrics);
  return kafka_->Start();
}

void RecoServer::Stop() {
  if (!parts_) return;
  // The Kafka source writes what it has read and commits it before the services close.
  if (kafka_) kafka_->Stop();
  kafka_.reset();
  if (parts_->registry_follower) parts_->registry_follower->Stop();
  // HTTP and gRPC drain their in-flight calls at the same time (each up to drain_seconds).
  std::thread grpc_drain;
  if (parts_->grpc) grpc_drain = std::thread([grpc = parts_->grpc.get()] { grpc->Shutdown(); });
  if (parts_->http) parts_->http->Stop();
  if (grpc_drain.joinable()) grpc_drain.join();
  if (tenancy_) tenancy_->CloseAll();
  parts_->Shutdown();
  parts_.reset();
  tenancy_.reset();
  spdlog::info("reco serve stopped");
}

}  // namespace reco
