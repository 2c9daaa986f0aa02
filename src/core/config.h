// RecoConfig: every setting of reco, with its default written here once. Loaded from a TOML
// file (reco.toml; see reco.toml.example), then overridden from the environment
// (RECO_<SECTION>_<KEY>, e.g. RECO_SERVER_API_KEY, plus the operators' names MODEL_RELOAD_TOKEN,
// DATA_JSON_DIR), then validated once: a bad value names the key and the accepted range.
//
// Thread-safety: a loaded RecoConfig is an immutable value; share it by const reference.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/feedback_types.h"
#include "core/status.h"

namespace reco {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int http_port = 8000;                       // 0 picks a free port
  int threads = 0;                            // 0 = number of cores
  int blocking_threads = 16;                  // threads for write requests (store commits)
  std::string api_key;                        // X-API-Key required when set
  std::string reload_token;                   // Bearer token for POST /models/reload
  // The credential of POST /models/reload: reload_token, else api_key ("" when neither is set;
  // the route then answers loopback clients only). See api/admin_auth.h.
  const std::string& ReloadCredential() const {
    return reload_token.empty() ? api_key : reload_token;
  }
  int64_t max_body_bytes = 16 * 1024 * 1024;  // larger bodies get 413
  int default_n = 10;                         // n when a request names none
  int max_n = 1000;                           // n above this is a 400
  double drain_seconds = 10.0;                // SIGTERM: wait this long for in-flight requests
  // Every this many seconds each tenant re-reads its running A/B experiments from the store (a
  // change made through another replica is served after at most this delay); 0 = never.
  double experiment_refresh_seconds = 5.0;
  // Open client connections at most; 0 = derived from the open-file limit (a quarter, at least
  // 64, kept for files). At the cap the longest-idle keep-alive connection is closed.
  int max_connections = 0;
  double request_read_timeout = 30.0;  // seconds from a request's first byte to its last (408)
  // Bytes of request bodies received or being handled at once (503 beyond); 0 = 4 * max_body.
  int64_t max_inflight_body_bytes = 0;
  int64_t buffer_release_bytes = 1024 * 1024;  // larger per-request buffers are freed after use
  // The gRPC API (proto/reco/v1) in the same process: -1 = off, 0 picks a free port (logged);
  // deployments use 10072, the port the operators' gRPC server has.
  int grpc_port = -1;
  int64_t grpc_max_message_bytes = 16 * 1024 * 1024;  // larger messages get RESOURCE_EXHAUSTED
};

struct DatabaseConfig {
  std::string data_store = "sqlite";    // only "sqlite" for now
  std::string sqlite_path = "reco.db";  // relative to the data dir
  bool auto_insert_user = true;         // unknown user ids on feedback are inserted
  bool auto_insert_item = true;         // unknown item ids on feedback are inserted
  // Rows dated more than this after now are rejected on every write (REST: 400 naming
  // Timestamp; `reco import`: bad lines; pipeline extract: rejected rows).
  int64_t max_future_skew_seconds = 86400;
  // Serve an existing database read-only (`reco serve --read-only`): writes answer 503. Without
  // it, reco serve refuses to start on a database it cannot write.
  bool read_only = false;
};

// A shared PostgreSQL database instead of the embedded SQLite file (docs/configuration.md,
// "PostgreSQL store"). Model files stay under the data directory either way.
struct StoreConfig {
  // "" = SQLite (database.*); postgres://USER:PASSWORD@HOST:PORT/DATABASE[?PARAMS] = PostgreSQL.
  // Env RECO_STORE_URL.
  std::string url;
  int pool_size = 4;  // PostgreSQL reader connections per process (plus one writer), 1..256
};

// The Cache shared by replicas (docs/scale-out.md); "" = in-process memory, nothing shared.
struct CacheConfig {
  std::string url;       // redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (env RECO_CACHE_URL)
  int timeout_ms = 500;  // Redis connect and command timeout, 10..60000
};

struct RecommendConfig {
  FeedbackTypes feedback_types;            // positive_/read_/negative_feedback_types
  int itemcf_neighbors = 100;              // top-K neighbours kept per item
  double itemcf_shrinkage = 10.0;          // cosine shrinkage term
  int history_size = 50;                   // recent positive items used per user
  double popularity_half_life_days = 7.0;  // time decay of popularity
  int popular_list_size = 1000;            // items kept per popularity / latest list
  // CONFIG.toml written by `reco tune`: `reco train` also fits that algorithm and writes its
  // per-user lists, which `reco serve` answers from first. Empty = item-CF only.
  std::string model_config;
  int recs_per_user = 200;  // length of each precomputed per-user list
};

// Where `reco pipeline`'s extract task reads new data from (besides the store itself).
struct SourcesConfig {
  std::string json_dir;  // DATA_JSON_DIR: Gorse-format JSON/JSON-lines files; empty = unused
  // Matomo analytics database (MariaDB/MySQL); empty host = unused.
  std::string matomo_host;
  int matomo_port = 3306;
  std::string matomo_user = "matomo";
  std::string matomo_password;
  std::string matomo_database = "matomo";
  std::string matomo_table_prefix = "matomo_";
  int matomo_site_id = 0;  // idsite to read; 0 = every site
  // ECMAScript regex applied to the action URL; capture group 1 is the item id.
  std::string matomo_item_url_pattern = "/items?/([^/?#]+)";
  std::string matomo_feedback_type = "read";  // feedback type given to each page view
};

// The offline DAG (`reco pipeline`).
struct PipelineConfig {
  double min_data_quality = 0.7;        // runs stop before publishing under this score, [0,1]
  std::string gate_metric = "ndcg@10";  // offline metric compared with production
  double gate_min_ratio = 0.98;         // new / production must reach this to publish
  int task_retries = 1;                 // retries of a failed task within one run
  double reconcile_divergence = 0.3;    // |online CTR rank - offline rank| flags above this
  // Data quality freshness: newest new feedback up to this old scores 1, falling to 0 at three
  // times this age. 0 = freshness is not checked (for datasets whose newest event is old).
  double max_data_age_hours = 24;
  // Where the publish task announces a new production version (POST {"run_id": ...}); env
  // MODEL_RELOAD_URL. "" = the serving process's own /models/reload inside `reco serve`, nobody
  // elsewhere.
  std::string reload_url;
};

// The scheduler (`reco worker`, and in-process in `reco serve`).
struct WorkerConfig {
  bool in_serve = true;  // run the scheduler inside `reco serve`
  std::string train_cron = "0 3 * * *";
  std::string item_vectors_cron = "0 * * * *";
  std::string user_profiles_cron = "0 */2 * * *";
  std::string precompute_cron = "0 */4 * * *";
  std::string cache_cleanup_cron = "0 4 * * *";
  std::string item_images_cron;  // "" = run on request only (needs content.clip_model_path)
  int max_retries = 3;
  double retry_backoff_seconds = 60;  // doubled after each failed attempt
  double job_timeout_seconds = 3600;
  double lease_seconds = 30;  // leader lock; a dead leader is replaced after this
};

// Model registry and rollout guardrails.
struct RegistryConfig {
  int keep_versions = 5;                // newest versions kept besides those with aliases
  int canary_min_exposures = 1000;      // exposures before the guardrails are judged
  double canary_max_error_rate = 0.05;  // canary withdrawn above this error rate
  double canary_min_ctr_ratio = 0.8;    // ... or below this share of the primary's CTR
  int exposure_log_max_mb = 256;        // exposure_log.jsonl is rotated past this size
  // reco serve checks the registry this often and follows a production version (or a
  // withdrawn canary) another process set; 0 = never (only POST /models/reload).
  double follow_seconds = 10;
};

// The admin console of `reco serve` (/console; docs/console.md).
struct ConsoleConfig {
  bool enabled = true;  // serve /console and its session routes
  // With no admin token configured (server.api_key, MODEL_RELOAD_TOKEN) the console is
  // read-only; true lets it promote, roll back and trigger jobs without a login.
  bool write_without_token = false;
  double session_hours = 12;      // a login lasts this long
  double history_interval = 10;   // seconds between samples of the metrics history
  double history_hours = 24;      // the metrics history keeps this much
};

// Content understanding: where the CLIP model folder is kept (docs/clip.md), read by
// `reco embed-images` / `reco embed-text` when --model is absent and checked by `reco doctor`.
struct ContentConfig {
  std::string clip_model_path;  // CLIP_MODEL_PATH: a local CLIP model folder; "" = none
  std::string hf_hub_offline;   // HF_HUB_OFFLINE as set ("1" keeps model libraries offline)
  // Item vectors (docs/content.md). The built-in text embedder: fitted by `reco train` and the
  // item_vectors job, served as the "text" vectors.
  bool text_embedder = true;
  int text_dimension = 64;         // 1..1024
  int text_min_df = 2;             // features of fewer items are left out (>= 1)
  int text_max_features = 200000;  // vocabulary size at most (>= 1)
  int text_ngram_min = 2;          // character n-grams of each word: 1..text_ngram_max
  int text_ngram_max = 3;          // ..8
  // Supplied vectors: the item label holding them (Gorse's `embedding`) and their dimension
  // (0 = the first vector's).
  std::string supplied_label = "embedding";
  int supplied_dimension = 0;
  // CLIP image vectors (the item_images job): the item label holding an item's image (a path
  // under image_dir, or a URL whose path is looked up under image_dir), the folder, and the
  // label the job writes the vector to.
  std::string image_label = "image";
  std::string image_dir;  // "" = DATA_DIR/images
  std::string clip_label = "clip_embedding";
  // The HNSW index of each vector kind.
  int hnsw_m = 16;
  int hnsw_ef_construction = 200;
  int hnsw_ef_search = 64;
  // User-to-item vector recall (the scenario source "vector"): the user's most recent positive
  // items whose vectors make the query, and the share of the plain recommend list it fills
  // (0 = not part of the plain route; docs/quality.md measures why 0 is the default).
  int user_recall_history = 20;    // 1..1000
  double user_recall_share = 0.0;  // 0..1
};

// The Kafka source of reco serve (docs/kafka.md); off while `brokers` is empty.
struct KafkaConfig {
  std::string brokers;  // bootstrap servers host:port[,host:port] (RECO_KAFKA_BROKERS)
  std::string group_id = "reco";
  std::string item_topic = "item-events-{tenant}";          // {tenant}: the tenant's name
  std::string feedback_topic = "behavior-events-{tenant}";  // "" = none
  std::string dead_letter_topic = "reco-dead-letter";
  std::vector<std::string> tenants;  // empty: default and every tenant registered at start-up
  int batch_size = 500;
  double session_timeout_seconds = 45;
};

// Real-time windows: hot scores and exposures/clicks/CTR over sliding windows in reco serve
// (docs/realtime.md). Per process until the Redis cache shares them between replicas.
struct RealtimeLeaderboardConfig {
  std::string name;                         // GET /api/non-personalized/{name}
  std::string window;                       // a window's name (its length, "1h") or "decay"
  std::vector<std::string> feedback_types;  // empty: realtime.hot_feedback_types
};

struct RealtimeConfig {
  bool enabled = true;
  // "LENGTH/BUCKET" (core/durations.h); a window is named by its length: ?window=1h.
  std::vector<std::string> windows = {"1h/1m", "24h/10m"};
  int64_t half_life_seconds = 3600;  // of the decayed hot score (?window=decay)
  std::vector<std::string> hot_feedback_types;    // empty: recommend.positive_feedback_types
  std::vector<std::string> click_feedback_types;  // empty: recommend.positive_feedback_types
  std::vector<RealtimeLeaderboardConfig> leaderboards;  // [[realtime.leaderboards]]
  int max_keys = 1000000;       // keys (items, versions, scenarios) per counter series
  int max_users = 20000;        // users whose recent exposures are kept for the click join
  int exposures_per_user = 10;  // ... the newest this many lists each
};

// The exploration mix for new users (serving/explorer.h, docs/content.md): users with fewer
// positive feedbacks than min_history get popular items of their chosen or inferred categories
// plus fresh items a Thompson-sampling bandit picks over the real-time exposure/click counts.
struct ExploreConfig {
  bool enabled = false;
  int min_history = 5;                  // 1..1000 positive feedbacks
  double share = 0.2;                   // of the mix given to fresh items, 0..1
  std::string label_key = "categories"; // the user label naming the categories picked
  int max_categories = 4;               // 1..100
  int fresh_candidates = 500;           // the bandit's arms: the newest items, 1..100000
  double fresh_max_age_hours = 0;       // ... added at most this long ago (0 = any age)
  double prior_alpha = 1;               // Beta prior of every item's CTR, > 0
  double prior_beta = 1;                // > 0
  std::string window;                   // realtime window of the counts ("" = the longest)
  double refresh_seconds = 10;          // fresh candidates and counts reused this long, 0..3600
  int64_t seed = 0;                     // non-zero: reproducible draws (tests); 0 = random
};

struct RecoConfig {
  ServerConfig server;
  DatabaseConfig database;
  StoreConfig store;
  CacheConfig cache;
  RecommendConfig recommend;
  SourcesConfig sources;
  PipelineConfig pipeline;
  WorkerConfig worker;
  RegistryConfig registry;
  ConsoleConfig console;
  ContentConfig content;
  KafkaConfig kafka;
  RealtimeConfig realtime;
  ExploreConfig explore;
  std::string log_level = "info";

  // Reads `path` (empty = only defaults + environment), applies the environment, validates.
  static Result<RecoConfig> Load(const std::filesystem::path& path);
  // A tenant's overrides (docs/tenants.md): the keys of `path` (a tenant directory's reco.toml)
  // replace this configuration's, then the result is validated. Only keys that may differ
  // between the tenants of one server are accepted (the [recommend] section,
  // database.auto_insert_user/_item, the pipeline's gate and reload_url); any other key is an
  // InvalidArgument naming it. The environment is not read: it configures the server.
  Status ApplyTenantFile(const std::filesystem::path& path);
  // The environment's value of one key (e.g. "log.level" from RECO_LOG_LEVEL), before any file
  // is read: for settings needed before a subcommand loads its configuration. nullopt when no
  // environment variable of the key is set, or the key is unknown.
  static std::optional<std::string> EnvironmentValue(std::string_view key);
  Status Validate() const;
};

}  // namespace reco
