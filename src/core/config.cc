#include "core/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "core/durations.h"
#include "core/toml_util.h"

namespace reco {
namespace {

// One settable key: its TOML path ("server.http_port"), environment names, and how to set it
// from TOML or from a string.
struct KeySpec {
  std::string path;
  std::vector<std::string> env_names;
  std::function<Status(const toml::node&)> from_toml;
  std::function<Status(std::string_view)> from_string;
};

Status TypeError(const std::string& key, const char* expected) {
  return InvalidArgument("config key " + key + " must be " + expected, key);
}

KeySpec IntKey(std::string path, int64_t* target) {
  KeySpec k;
  k.path = path;
  k.from_toml = [path, target](const toml::node& n) -> Status {
    auto v = n.value<int64_t>();
    if (!v) return TypeError(path, "an integer");
    *target = *v;
    return Status::Ok();
  };
  k.from_string = [path, target](std::string_view s) -> Status {
    try {
      size_t used = 0;
      int64_t v = std::stoll(std::string(s), &used);
      if (used != s.size()) return TypeError(path, "an integer");
      *target = v;
    } catch (...) {
      return TypeError(path, "an integer");
    }
    return Status::Ok();
  };
  return k;
}

KeySpec IntKey(std::string path, int* target) {
  // Stored through a 64-bit temporary so that out-of-range values are reported, not wrapped.
  auto tmp = std::make_shared<int64_t>(0);
  KeySpec k = IntKey(path, tmp.get());
  auto wrap = [path, target, tmp](Status st) -> Status {
    if (!st.ok()) return st;
    if (*tmp < INT32_MIN || *tmp > INT32_MAX) return TypeError(path, "a 32-bit integer");
    *target = static_cast<int>(*tmp);
    return st;
  };
  auto t = k.from_toml;
  auto s = k.from_string;
  k.from_toml = [t, wrap](const toml::node& n) { return wrap(t(n)); };
  k.from_string = [s, wrap](std::string_view v) { return wrap(s(v)); };
  return k;
}

KeySpec DoubleKey(std::string path, double* target) {
  KeySpec k;
  k.path = path;
  k.from_toml = [path, target](const toml::node& n) -> Status {
    auto v = n.value<double>();
    if (!v) return TypeError(path, "a number");
    *target = *v;
    return Status::Ok();
  };
  k.from_string = [path, target](std::string_view s) -> Status {
    char* end = nullptr;
    std::string str(s);
    double v = std::strtod(str.c_str(), &end);
    if (str.empty() || *end != '\0') return TypeError(path, "a number");
    *target = v;
    return Status::Ok();
  };
  return k;
}

KeySpec BoolKey(std::string path, bool* target) {
  KeySpec k;
  k.path = path;
  k.from_toml = [path, target](const toml::node& n) -> Status {
    auto v = n.value<bool>();
    if (!v) return TypeError(path, "true or false");
    *target = *v;
    return Status::Ok();
  };
  k.from_string = [path, target](std::string_view s) -> Status {
    if (s == "true" || s == "1") {
      *target = true;
    } else if (s == "false" || s == "0") {
      *target = false;
    } else {
      return TypeError(path, "true or false");
    }
    return Status::Ok();
  };
  return k;
}

KeySpec StringKey(std::string path, std::string* target) {
  KeySpec k;
  k.path = path;
  k.from_toml = [path, target](const toml::node& n) -> Status {
    auto v = n.value<std::string>();
    if (!v) return TypeError(path, "a string");
    *target = *v;
    return Status::Ok();
  };
  k.from_string = [target](std::string_view s) -> Status {
    *target = std::string(s);
    return Status::Ok();
  };
  return k;
}

// Lists: TOML arrays of strings; from the environment, comma-separated.
KeySpec StringListKey(std::string path, std::vector<std::string>* target) {
  KeySpec k;
  k.path = path;
  k.from_toml = [path, target](const toml::node& n) -> Status {
    const toml::array* arr = n.as_array();
    if (arr == nullptr) return TypeError(path, "an array of strings");
    std::vector<std::string> out;
    for (const auto& el : *arr) {
      auto v = el.value<std::string>();
      if (!v) return TypeError(path, "an array of strings");
      out.push_back(*v);
    }
    *target = std::move(out);
    return Status::Ok();
  };
  k.from_string = [target](std::string_view s) -> Status {
    std::vector<std::string> out;
    std::string item;
    std::stringstream ss{std::string(s)};
    while (std::getline(ss, item, ',')) {
      if (!item.empty()) out.push_back(item);
    }
    *target = std::move(out);
    return Status::Ok();
  };
  return k;
}

// [[realtime.leaderboards]]: TOML tables {name, window, feedback_types}; from the environment,
// "name=window[:type|type],..." (e.g. "hot_1h=1h:click|like,trending=decay").
KeySpec LeaderboardsKey(std::string path, std::vector<RealtimeLeaderboardConfig>* target) {
  KeySpec k;
  k.path = path;
  k.from_toml = [path, target](const toml::node& n) -> Status {
    const toml::array* arr = n.as_array();
    if (arr == nullptr) return TypeError(path, "an array of tables ([[realtime.leaderboards]])");
    std::vector<RealtimeLeaderboardConfig> out;
    for (const auto& el : *arr) {
      const toml::table* t = el.as_table();
      if (t == nullptr) return TypeError(path, "an array of tables ([[realtime.leaderboards]])");
      RealtimeLeaderboardConfig board;
      for (const auto& [key, value] : *t) {
        const std::string name(key.str());
        if (name == "name" || name == "window") {
          auto v = value.value<std::string>();
          if (!v) return TypeError(path + "." + name, "a string");
          (name == "name" ? board.name : board.window) = *v;
        } else if (name == "feedback_types") {
          const toml::array* types = value.as_array();
          if (types == nullptr) return TypeError(path + ".feedback_types", "an array of strings");
          for (const auto& type : *types) {
            auto v = type.value<std::string>();
            if (!v) return TypeError(path + ".feedback_types", "an array of strings");
            board.feedback_types.push_back(*v);
          }
        } else {
          return InvalidArgument("unknown key \"" + path + "." + name +
                                     "\" (accepted: name, window, feedback_types)",
                                 path + "." + name);
        }
      }
      out.push_back(std::move(board));
    }
    *target = std::move(out);
    return Status::Ok();
  };
  k.from_string = [target](std::string_view s) -> Status {
    std::vector<RealtimeLeaderboardConfig> out;
    std::string entry;
    std::stringstream ss{std::string(s)};
    while (std::getline(ss, entry, ',')) {
      if (entry.empty()) continue;
      RealtimeLeaderboardConfig board;
      const size_t eq = entry.find('=');
      board.name = entry.substr(0, eq);
      if (eq != std::string::npos) {
        std::string rest = entry.substr(eq + 1);
        const size_t colon = rest.find(':');
        board.window = rest.substr(0, colon);
        if (colon != std::string::npos) {
          std::string type;
          std::stringstream types{rest.substr(colon + 1)};
          while (std::getline(types, type, '|')) {
            if (!type.empty()) board.feedback_types.push_back(type);
          }
        }
      }
      out.push_back(std::move(board));
    }
    *target = std::move(out);
    return Status::Ok();
  };
  return k;
}

std::string DefaultEnvName(const std::string& path) {
  std::string env = "RECO_";
  for (char c : path) env.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return env;
}

std::vector<KeySpec> Keys(RecoConfig& c) {
  std::vector<KeySpec> keys = {
      StringKey("server.host", &c.server.host),
      IntKey("server.http_port", &c.server.http_port),
      IntKey("server.threads", &c.server.threads),
      IntKey("server.blocking_threads", &c.server.blocking_threads),
      StringKey("server.api_key", &c.server.api_key),
      StringKey("server.reload_token", &c.server.reload_token),
      IntKey("server.max_body_bytes", &c.server.max_body_bytes),
      IntKey("server.default_n", &c.server.default_n),
      IntKey("server.max_n", &c.server.max_n),
      DoubleKey("server.drain_seconds", &c.server.drain_seconds),
      DoubleKey("server.experiment_refresh_seconds", &c.server.experiment_refresh_seconds),
      IntKey("server.max_connections", &c.server.max_connections),
      DoubleKey("server.request_read_timeout", &c.server.request_read_timeout),
      IntKey("server.max_inflight_body_bytes", &c.server.max_inflight_body_bytes),
      IntKey("server.buffer_release_bytes", &c.server.buffer_release_bytes),
      IntKey("server.grpc_port", &c.server.grpc_port),
      IntKey("server.grpc_max_message_bytes", &c.server.grpc_max_message_bytes),
      StringKey("database.data_store", &c.database.data_store),
      StringKey("database.sqlite_path", &c.database.sqlite_path),
      BoolKey("database.auto_insert_user", &c.database.auto_insert_user),
      BoolKey("database.auto_insert_item", &c.database.auto_insert_item),
      IntKey("database.max_future_skew_seconds", &c.database.max_future_skew_seconds),
      BoolKey("database.read_only", &c.database.read_only),
      StringKey("store.url", &c.store.url),
      IntKey("store.pool_size", &c.store.pool_size),
      StringKey("cache.url", &c.cache.url),
      IntKey("cache.timeout_ms", &c.cache.timeout_ms),
      StringListKey("recommend.positive_feedback_types", &c.recommend.feedback_types.positive),
      StringListKey("recommend.read_feedback_types", &c.recommend.feedback_types.read),
      StringListKey("recommend.negative_feedback_types", &c.recommend.feedback_types.negative),
      IntKey("recommend.itemcf_neighbors", &c.recommend.itemcf_neighbors),
      DoubleKey("recommend.itemcf_shrinkage", &c.recommend.itemcf_shrinkage),
      IntKey("recommend.history_size", &c.recommend.history_size),
      DoubleKey("recommend.popularity_half_life_days", &c.recommend.popularity_half_life_days),
      IntKey("recommend.popular_list_size", &c.recommend.popular_list_size),
      StringKey("recommend.model_config", &c.recommend.model_config),
      IntKey("recommend.recs_per_user", &c.recommend.recs_per_user),
      StringKey("sources.json_dir", &c.sources.json_dir),
      StringKey("sources.matomo_host", &c.sources.matomo_host),
      IntKey("sources.matomo_port", &c.sources.matomo_port),
      StringKey("sources.matomo_user", &c.sources.matomo_user),
      StringKey("sources.matomo_password", &c.sources.matomo_password),
      StringKey("sources.matomo_database", &c.sources.matomo_database),
      StringKey("sources.matomo_table_prefix", &c.sources.matomo_table_prefix),
      IntKey("sources.matomo_site_id", &c.sources.matomo_site_id),
      StringKey("sources.matomo_item_url_pattern", &c.sources.matomo_item_url_pattern),
      StringKey("sources.matomo_feedback_type", &c.sources.matomo_feedback_type),
      DoubleKey("pipeline.min_data_quality", &c.pipeline.min_data_quality),
      StringKey("pipeline.gate_metric", &c.pipeline.gate_metric),
      DoubleKey("pipeline.gate_min_ratio", &c.pipeline.gate_min_ratio),
      IntKey("pipeline.task_retries", &c.pipeline.task_retries),
      DoubleKey("pipeline.reconcile_divergence", &c.pipeline.reconcile_divergence),
      DoubleKey("pipeline.max_data_age_hours", &c.pipeline.max_data_age_hours),
      StringKey("pipeline.reload_url", &c.pipeline.reload_url),
      BoolKey("worker.in_serve", &c.worker.in_serve),
      StringKey("worker.train_cron", &c.worker.train_cron),
      StringKey("worker.item_vectors_cron", &c.worker.item_vectors_cron),
      StringKey("worker.user_profiles_cron", &c.worker.user_profiles_cron),
      StringKey("worker.precompute_cron", &c.worker.precompute_cron),
      StringKey("worker.item_images_cron", &c.worker.item_images_cron),
      StringKey("worker.cache_cleanup_cron", &c.worker.cache_cleanup_cron),
      IntKey("worker.max_retries", &c.worker.max_retries),
      DoubleKey("worker.retry_backoff_seconds", &c.worker.retry_backoff_seconds),
      DoubleKey("worker.job_timeout_seconds", &c.worker.job_timeout_seconds),
      DoubleKey("worker.lease_seconds", &c.worker.lease_seconds),
      IntKey("registry.keep_versions", &c.registry.keep_versions),
      IntKey("registry.canary_min_exposures", &c.registry.canary_min_exposures),
      DoubleKey("registry.canary_max_error_rate", &c.registry.canary_max_error_rate),
      DoubleKey("registry.canary_min_ctr_ratio", &c.registry.canary_min_ctr_ratio),
      IntKey("registry.exposure_log_max_mb", &c.registry.exposure_log_max_mb),
      DoubleKey("registry.follow_seconds", &c.registry.follow_seconds),
      BoolKey("console.enabled", &c.console.enabled),
      BoolKey("console.write_without_token", &c.console.write_without_token),
      DoubleKey("console.session_hours", &c.console.session_hours),
      DoubleKey("console.history_interval", &c.console.history_interval),
      DoubleKey("console.history_hours", &c.console.history_hours),
      StringKey("log.level", &c.log_level),
      StringKey("content.clip_model_path", &c.content.clip_model_path),
      StringKey("content.hf_hub_offline", &c.content.hf_hub_offline),
      BoolKey("content.text_embedder", &c.content.text_embedder),
      IntKey("content.text_dimension", &c.content.text_dimension),
      IntKey("content.text_min_df", &c.content.text_min_df),
      IntKey("content.text_max_features", &c.content.text_max_features),
      IntKey("content.text_ngram_min", &c.content.text_ngram_min),
      IntKey("content.text_ngram_max", &c.content.text_ngram_max),
      StringKey("content.supplied_label", &c.content.supplied_label),
      IntKey("content.supplied_dimension", &c.content.supplied_dimension),
      StringKey("content.image_label", &c.content.image_label),
      StringKey("content.image_dir", &c.content.image_dir),
      StringKey("content.clip_label", &c.content.clip_label),
      IntKey("content.hnsw_m", &c.content.hnsw_m),
      IntKey("content.hnsw_ef_construction", &c.content.hnsw_ef_construction),
      IntKey("content.hnsw_ef_search", &c.content.hnsw_ef_search),
      IntKey("content.user_recall_history", &c.content.user_recall_history),
      DoubleKey("content.user_recall_share", &c.content.user_recall_share),
      StringKey("kafka.brokers", &c.kafka.brokers),
      StringKey("kafka.group_id", &c.kafka.group_id),
      StringKey("kafka.item_topic", &c.kafka.item_topic),
      StringKey("kafka.feedback_topic", &c.kafka.feedback_topic),
      StringKey("kafka.dead_letter_topic", &c.kafka.dead_letter_topic),
      StringListKey("kafka.tenants", &c.kafka.tenants),
      IntKey("kafka.batch_size", &c.kafka.batch_size),
      DoubleKey("kafka.session_timeout_seconds", &c.kafka.session_timeout_seconds),
      BoolKey("realtime.enabled", &c.realtime.enabled),
      StringListKey("realtime.windows", &c.realtime.windows),
      IntKey("realtime.half_life_seconds", &c.realtime.half_life_seconds),
      StringListKey("realtime.hot_feedback_types", &c.realtime.hot_feedback_types),
      StringListKey("realtime.click_feedback_types", &c.realtime.click_feedback_types),
      LeaderboardsKey("realtime.leaderboards", &c.realtime.leaderboards),
      IntKey("realtime.max_keys", &c.realtime.max_keys),
      IntKey("realtime.max_users", &c.realtime.max_users),
      IntKey("realtime.exposures_per_user", &c.realtime.exposures_per_user),
      BoolKey("explore.enabled", &c.explore.enabled),
      IntKey("explore.min_history", &c.explore.min_history),
      DoubleKey("explore.share", &c.explore.share),
      StringKey("explore.label_key", &c.explore.label_key),
      IntKey("explore.max_categories", &c.explore.max_categories),
      IntKey("explore.fresh_candidates", &c.explore.fresh_candidates),
      DoubleKey("explore.fresh_max_age_hours", &c.explore.fresh_max_age_hours),
      DoubleKey("explore.prior_alpha", &c.explore.prior_alpha),
      DoubleKey("explore.prior_beta", &c.explore.prior_beta),
      StringKey("explore.window", &c.explore.window),
      DoubleKey("explore.refresh_seconds", &c.explore.refresh_seconds),
      IntKey("explore.seed", &c.explore.seed),
  };
  for (auto& k : keys) k.env_names.push_back(DefaultEnvName(k.path));
  // The names operators already use.
  for (auto& k : keys) {
    if (k.path == "server.reload_token") k.env_names.push_back("MODEL_RELOAD_TOKEN");
    if (k.path == "pipeline.reload_url") k.env_names.push_back("MODEL_RELOAD_URL");
    if (k.path == "log.level") k.env_names.push_back("RECO_LOG_LEVEL");
    if (k.path == "sources.json_dir") k.env_names.push_back("DATA_JSON_DIR");
    if (k.path == "content.clip_model_path") k.env_names.push_back("CLIP_MODEL_PATH");
    if (k.path == "content.hf_hub_offline") k.env_names.push_back("HF_HUB_OFFLINE");
  }
  return keys;
}

const toml::node* FindNode(const toml::table& root, const std::string& path) {
  auto dot = path.find('.');
  const toml::table* section = root[path.substr(0, dot)].as_table();
  if (section == nullptr) return nullptr;
  return section->get(path.substr(dot + 1));
}

// Reports keys in the file that reco does not know (typos would otherwise be silently ignored).
Status CheckUnknownKeys(const toml::table& root, const std::vector<KeySpec>& keys,
                        const std::filesystem::path& path) {
  for (const auto& [section, node] : root) {
    const toml::table* t = node.as_table();
    std::string sec(section.str());
    if (t == nullptr) {
      return InvalidArgument(path.string() + ": unknown top-level key \"" + sec + "\"", sec);
    }
    for (const auto& [key, unused] : *t) {
      std::string full = sec + "." + std::string(key.str());
      bool known = false;
      for (const auto& k : keys) known = known || k.path == full;
      if (!known) {
        return InvalidArgument(path.string() + ": unknown key \"" + full + "\"", full);
      }
    }
  }
  return Status::Ok();
}

// Upper bounds of durations: large enough for any real setting, small enough that the
// microseconds they become (and the scheduler's doubling back-off) stay far from overflow.
constexpr double kDaySeconds = 86400;
constexpr double kMaxHours = 87600;
constexpr int64_t kMaxSkewSeconds = 315'360'000;

// lo < v <= hi (false for NaN).
bool InHalfOpen(double v, double lo, double hi) { return v > lo && v <= hi; }

Status Range(bool ok, const std::string& key, const std::string& accepted) {
  if (ok) return Status::Ok();
  return InvalidArgument("config key " + key + " out of range (accepted: " + accepted + ")", key);
}

// A leaderboard's name is a path segment: letters, digits, '_', '-', '.'.
bool IsLeaderboardName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

Status ValidateRealtime(const RealtimeConfig& realtime) {
  std::vector<std::string> names;
  for (const std::string& text : realtime.windows) {
    RECO_ASSIGN_OR_RETURN(WindowSpec spec, ParseWindowSpec(text, "realtime.windows"));
    for (const std::string& n : names) {
      RECO_RETURN_IF_ERROR(Range(n != spec.name, "realtime.windows", "windows of different lengths"));
    }
    names.push_back(spec.name);
  }
  RECO_RETURN_IF_ERROR(Range(!realtime.enabled || !names.empty(), "realtime.windows",
                             "at least one window, e.g. [\"1h/1m\", \"24h/10m\"]"));
  RECO_RETURN_IF_ERROR(Range(realtime.half_life_seconds >= 1 &&
                                 realtime.half_life_seconds <= 10LL * 366 * 86400,
                             "realtime.half_life_seconds", "1..316224000 (10 years)"));
  RECO_RETURN_IF_ERROR(
      Range(realtime.max_keys >= 1 && realtime.max_keys <= 100'000'000, "realtime.max_keys",
            "1..100000000"));
  RECO_RETURN_IF_ERROR(Range(realtime.max_users >= 1 && realtime.max_users <= 10'000'000,
                             "realtime.max_users", "1..10000000"));
  RECO_RETURN_IF_ERROR(Range(realtime.exposures_per_user >= 1 && realtime.exposures_per_user <= 1000,
                             "realtime.exposures_per_user", "1..1000"));
  std::vector<std::string> boards;
  for (const RealtimeLeaderboardConfig& b : realtime.leaderboards) {
    RECO_RETURN_IF_ERROR(Range(IsLeaderboardName(b.name), "realtime.leaderboards",
                               "names of 1..64 letters, digits, '_', '-' or '.', got \"" +
                                   b.name.substr(0, 64) + "\""));
    RECO_RETURN_IF_ERROR(Range(std::find(boards.begin(), boards.end(), b.name) == boards.end(),
                               "realtime.leaderboards", "names used once, \"" + b.name +
                                   "\" is repeated"));
    boards.push_back(b.name);
    const bool known = b.window == "decay" ||
                       std::find(names.begin(), names.end(), b.window) != names.end();
    RECO_RETURN_IF_ERROR(Range(known, "realtime.leaderboards",
                               "a window of realtime.windows (by its length, e.g. 1h) or decay; "
                               "leaderboard \"" + b.name + "\" names \"" + b.window + "\""));
  }
  return Status::Ok();
}

}  // namespace

Result<RecoConfig> RecoConfig::Load(const std::filesystem::path& path) {
  RecoConfig config;
  std::vector<KeySpec> keys = Keys(config);
  if (!path.empty()) {
    RECO_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(path, "config"));
    RECO_RETURN_IF_ERROR(CheckUnknownKeys(root, keys, path));
    for (auto& k : keys) {
      if (const toml::node* n = FindNode(root, k.path)) {
        RECO_RETURN_IF_ERROR(k.from_toml(*n).WithPrefix(path.string()));
      }
    }
  }
  for (auto& k : keys) {
    for (const auto& env : k.env_names) {
      if (const char* v = std::getenv(env.c_str())) {
        RECO_RETURN_IF_ERROR(k.from_string(v).WithPrefix("environment variable " + env));
      }
    }
  }
  RECO_RETURN_IF_ERROR(config.Validate());
  return config;
}

namespace {

Status ValidateExplore(const ExploreConfig& explore, const RealtimeConfig& realtime) {
  RECO_RETURN_IF_ERROR(Range(explore.min_history >= 1 && explore.min_history <= 1000,
                             "explore.min_history", "1..1000"));
  RECO_RETURN_IF_ERROR(
      Range(explore.share >= 0 && explore.share <= 1, "explore.share", "0..1"));
  RECO_RETURN_IF_ERROR(Range(!explore.label_key.empty() && explore.label_key.size() <= 64,
                             "explore.label_key", "a label name of 1..64 bytes"));
  RECO_RETURN_IF_ERROR(Range(explore.max_categories >= 1 && explore.max_categories <= 100,
                             "explore.max_categories", "1..100"));
  RECO_RETURN_IF_ERROR(Range(explore.fresh_candidates >= 1 && explore.fresh_candidates <= 100000,
                             "explore.fresh_candidates", "1..100000"));
  RECO_RETURN_IF_ERROR(Range(explore.fresh_max_age_hours >= 0 &&
                                 explore.fresh_max_age_hours <= kMaxHours,
                             "explore.fresh_max_age_hours", "0..87600 hours, 0 = any age"));
  RECO_RETURN_IF_ERROR(Range(InHalfOpen(explore.prior_alpha, 0, 1e6), "explore.prior_alpha",
                             "> 0 and <= 1000000"));
  RECO_RETURN_IF_ERROR(
      Range(InHalfOpen(explore.prior_beta, 0, 1e6), "explore.prior_beta", "> 0 and <= 1000000"));
  RECO_RETURN_IF_ERROR(Range(explore.refresh_seconds >= 0 && explore.refresh_seconds <= 3600,
                             "explore.refresh_seconds", "0..3600 seconds, 0 = every request"));
  if (!explore.window.empty()) {
    bool known = false;
    for (const std::string& text : realtime.windows) {
      auto spec = ParseWindowSpec(text, "realtime.windows");
      known = known || (spec.ok() && spec->name == explore.window);
    }
    RECO_RETURN_IF_ERROR(Range(known, "explore.window",
                               "\"\" (the longest) or a window of realtime.windows by its length, "
                               "e.g. 24h"));
  }
  return Status::Ok();
}

bool TenantMayOverride(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "database.auto_insert_user", "database.auto_insert_item", "pipeline.min_data_quality",
      "pipeline.gate_metric", "pipeline.gate_min_ratio", "pipeline.reload_url"};
  if (key.starts_with("recommend.")) return true;
  if (key.starts_with("explore.")) return true;
  for (std::string_view k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace

Status RecoConfig::ApplyTenantFile(const std::filesystem::path& path) {
  std::vector<KeySpec> keys = Keys(*this);
  RECO_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(path, "config"));
  RECO_RETURN_IF_ERROR(CheckUnknownKeys(root, keys, path));
  for (auto& k : keys) {
    const toml::node* n = FindNode(root, k.path);
    if (n == nullptr) continue;
    if (!TenantMayOverride(k.path)) {
      return InvalidArgument(path.string() + ": config key " + k.path +
                                 " is set for the whole server, not per tenant (per tenant: "
                                 "[recommend], [explore], database.auto_insert_*, pipeline gate keys, pipeline.reload_url)",
                             k.path);
    }
    RECO_RETURN_IF_ERROR(k.from_toml(*n).WithPrefix(path.string()));
  }
  return Validate();
}

std::optional<std::string> RecoConfig::EnvironmentValue(std::string_view key) {
  RecoConfig config;
  for (const KeySpec& k : Keys(config)) {
    if (k.path != key) continue;
    std::optional<std::string> value;
    for (const auto& env : k.env_names) {  // the later name wins, as in Load
      if (const char* v = std::getenv(env.c_str())) value = v;
    }
    return value;
  }
  return std::nullopt;
}

Status RecoConfig::Validate() const {
  RECO_RETURN_IF_ERROR(
      Range(server.http_port >= 0 && server.http_port <= 65535, "server.http_port", "0..65535"));
  RECO_RETURN_IF_ERROR(Range(server.grpc_port >= -1 && server.grpc_port <= 65535,
                             "server.grpc_port", "-1 (off) or 0..65535"));
  RECO_RETURN_IF_ERROR(Range(server.grpc_max_message_bytes >= 1024 &&
                                 server.grpc_max_message_bytes <= (int64_t{1} << 30),
                             "server.grpc_max_message_bytes", "1024..1073741824"));
  RECO_RETURN_IF_ERROR(Range(server.threads >= 0 && server.threads <= 256, "server.threads",
                             "0..256, 0 = number of cores"));
  RECO_RETURN_IF_ERROR(Range(server.blocking_threads >= 1 && server.blocking_threads <= 1024,
                             "server.blocking_threads", "1..1024"));
  RECO_RETURN_IF_ERROR(Range(server.max_body_bytes >= 1024, "server.max_body_bytes", ">= 1024"));
  RECO_RETURN_IF_ERROR(
      Range(server.max_n >= 1 && server.max_n <= 100000, "server.max_n", "1..100000"));
  RECO_RETURN_IF_ERROR(Range(server.default_n >= 1 && server.default_n <= server.max_n,
                             "server.default_n", "1..server.max_n"));
  RECO_RETURN_IF_ERROR(Range(server.drain_seconds >= 0 && server.drain_seconds <= 600,
                             "server.drain_seconds", "0..600"));
  RECO_RETURN_IF_ERROR(
      Range(server.experiment_refresh_seconds >= 0 && server.experiment_refresh_seconds <= 3600,
            "server.experiment_refresh_seconds", "0..3600 seconds, 0 = never"));
  RECO_RETURN_IF_ERROR(Range(server.max_connections >= 0 && server.max_connections <= 1000000,
                             "server.max_connections", "0..1000000, 0 = from the open-file limit"));
  RECO_RETURN_IF_ERROR(
      Range(server.request_read_timeout >= 0.1 && server.request_read_timeout <= 3600,
            "server.request_read_timeout", "0.1..3600 seconds"));
  RECO_RETURN_IF_ERROR(Range(server.max_inflight_body_bytes == 0 ||
                                 server.max_inflight_body_bytes >= server.max_body_bytes,
                             "server.max_inflight_body_bytes", "0 or >= server.max_body_bytes"));
  RECO_RETURN_IF_ERROR(
      Range(server.buffer_release_bytes >= 4096, "server.buffer_release_bytes", ">= 4096"));
  RECO_RETURN_IF_ERROR(Range(database.data_store == "sqlite", "database.data_store", "sqlite"));
  RECO_RETURN_IF_ERROR(
      Range(!database.sqlite_path.empty(), "database.sqlite_path", "a non-empty path"));
  RECO_RETURN_IF_ERROR(Range(
      database.max_future_skew_seconds >= 0 && database.max_future_skew_seconds <= kMaxSkewSeconds,
      "database.max_future_skew_seconds", "0..315360000 (10 years)"));
  RECO_RETURN_IF_ERROR(Range(store.url.empty() || store.url.starts_with("postgres://") ||
                                 store.url.starts_with("postgresql://"),
                             "store.url", "empty (SQLite) or a postgres:// URL"));
  RECO_RETURN_IF_ERROR(
      Range(store.pool_size >= 1 && store.pool_size <= 256, "store.pool_size", "1..256"));
  RECO_RETURN_IF_ERROR(Range(cache.url.empty() || cache.url.starts_with("redis://"), "cache.url",
                             "empty (in-process memory) or a redis:// URL"));
  RECO_RETURN_IF_ERROR(
      Range(cache.timeout_ms >= 10 && cache.timeout_ms <= 60000, "cache.timeout_ms", "10..60000"));
  RECO_RETURN_IF_ERROR(Range(recommend.itemcf_neighbors >= 1 && recommend.itemcf_neighbors <= 10000,
                             "recommend.itemcf_neighbors", "1..10000"));
  RECO_RETURN_IF_ERROR(
      Range(recommend.itemcf_shrinkage >= 0, "recommend.itemcf_shrinkage", ">= 0"));
  RECO_RETURN_IF_ERROR(Range(recommend.history_size >= 1 && recommend.history_size <= 10000,
                             "recommend.history_size", "1..10000"));
  RECO_RETURN_IF_ERROR(Range(InHalfOpen(recommend.popularity_half_life_days, 0, 36500),
                             "recommend.popularity_half_life_days", "> 0 and <= 36500"));
  RECO_RETURN_IF_ERROR(
      Range(recommend.popular_list_size >= 1 && recommend.popular_list_size <= 1000000,
            "recommend.popular_list_size", "1..1000000"));
  RECO_RETURN_IF_ERROR(Range(recommend.recs_per_user >= 1 && recommend.recs_per_user <= 10000,
                             "recommend.recs_per_user", "1..10000"));
  RECO_RETURN_IF_ERROR(Range(!recommend.feedback_types.positive.empty(),
                             "recommend.positive_feedback_types", "at least one type"));
  RECO_RETURN_IF_ERROR(Range(sources.matomo_port >= 1 && sources.matomo_port <= 65535,
                             "sources.matomo_port", "1..65535"));
  RECO_RETURN_IF_ERROR(Range(sources.matomo_site_id >= 0, "sources.matomo_site_id", ">= 0"));
  RECO_RETURN_IF_ERROR(Range(pipeline.min_data_quality >= 0 && pipeline.min_data_quality <= 1,
                             "pipeline.min_data_quality", "0..1"));
  RECO_RETURN_IF_ERROR(Range(pipeline.gate_min_ratio >= 0, "pipeline.gate_min_ratio", ">= 0"));
  RECO_RETURN_IF_ERROR(Range(pipeline.task_retries >= 0 && pipeline.task_retries <= 10,
                             "pipeline.task_retries", "0..10"));
  RECO_RETURN_IF_ERROR(
      Range(pipeline.max_data_age_hours >= 0 && pipeline.max_data_age_hours <= kMaxHours,
            "pipeline.max_data_age_hours", "0..87600 (10 years), 0 = freshness not checked"));
  RECO_RETURN_IF_ERROR(Range(pipeline.reload_url.empty() || pipeline.reload_url.starts_with("http://"),
                             "pipeline.reload_url",
                             "empty or an http:// URL such as http://127.0.0.1:8000/models/reload"));
  RECO_RETURN_IF_ERROR(
      Range(worker.max_retries >= 0 && worker.max_retries <= 100, "worker.max_retries", "0..100"));
  RECO_RETURN_IF_ERROR(
      Range(worker.retry_backoff_seconds >= 0 && worker.retry_backoff_seconds <= kDaySeconds,
            "worker.retry_backoff_seconds", "0..86400"));
  RECO_RETURN_IF_ERROR(Range(InHalfOpen(worker.job_timeout_seconds, 0, 7 * kDaySeconds),
                             "worker.job_timeout_seconds", "> 0 and <= 604800 (7 days)"));
  RECO_RETURN_IF_ERROR(Range(InHalfOpen(worker.lease_seconds, 0, kDaySeconds),
                             "worker.lease_seconds", "> 0 and <= 86400"));
  RECO_RETURN_IF_ERROR(Range(registry.keep_versions >= 1, "registry.keep_versions", ">= 1"));
  RECO_RETURN_IF_ERROR(
      Range(registry.canary_min_exposures >= 1, "registry.canary_min_exposures", ">= 1"));
  RECO_RETURN_IF_ERROR(
      Range(registry.canary_max_error_rate >= 0 && registry.canary_max_error_rate <= 1,
            "registry.canary_max_error_rate", "0..1"));
  RECO_RETURN_IF_ERROR(
      Range(registry.canary_min_ctr_ratio >= 0, "registry.canary_min_ctr_ratio", ">= 0"));
  RECO_RETURN_IF_ERROR(
      Range(registry.exposure_log_max_mb >= 1, "registry.exposure_log_max_mb", ">= 1"));
  RECO_RETURN_IF_ERROR(Range(registry.follow_seconds >= 0 && registry.follow_seconds <= 3600,
                             "registry.follow_seconds", "0..3600 seconds, 0 = never"));
  RECO_RETURN_IF_ERROR(Range(InHalfOpen(console.session_hours, 0, 24 * 30),
                             "console.session_hours", "> 0 and <= 720 (30 days)"));
  RECO_RETURN_IF_ERROR(Range(console.history_interval >= 0.1 && console.history_interval <= 3600,
                             "console.history_interval", "0.1..3600 seconds"));
  RECO_RETURN_IF_ERROR(Range(InHalfOpen(console.history_hours, 0, 24 * 31),
                             "console.history_hours", "> 0 and <= 744 (31 days)"));
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok = level_ok || log_level == l;
  RECO_RETURN_IF_ERROR(Range(level_ok, "log.level", "trace, debug, info, warn, error, off"));
  RECO_RETURN_IF_ERROR(Range(content.text_dimension >= 1 && content.text_dimension <= 1024,
                             "content.text_dimension", "1..1024"));
  RECO_RETURN_IF_ERROR(Range(content.text_min_df >= 1, "content.text_min_df", ">= 1"));
  RECO_RETURN_IF_ERROR(
      Range(content.text_max_features >= 1, "content.text_max_features", ">= 1"));
  RECO_RETURN_IF_ERROR(Range(content.text_ngram_max >= 1 && content.text_ngram_max <= 8,
                             "content.text_ngram_max", "1..8"));
  RECO_RETURN_IF_ERROR(
      Range(content.text_ngram_min >= 1 && content.text_ngram_min <= content.text_ngram_max,
            "content.text_ngram_min", "1..content.text_ngram_max"));
  RECO_RETURN_IF_ERROR(Range(!content.supplied_label.empty() && content.supplied_label.size() <= 64,
                             "content.supplied_label", "a label name of 1..64 bytes"));
  RECO_RETURN_IF_ERROR(Range(content.supplied_dimension >= 0 && content.supplied_dimension <= 4096,
                             "content.supplied_dimension", "0..4096 (0 = the first vector's)"));
  RECO_RETURN_IF_ERROR(Range(!content.image_label.empty() && content.image_label.size() <= 64,
                             "content.image_label", "a label name of 1..64 bytes"));
  RECO_RETURN_IF_ERROR(Range(!content.clip_label.empty() && content.clip_label.size() <= 64 &&
                                 content.clip_label != content.supplied_label &&
                                 content.clip_label != content.image_label,
                             "content.clip_label",
                             "a label name of 1..64 bytes, other than content.supplied_label and "
                             "content.image_label"));
  RECO_RETURN_IF_ERROR(
      Range(content.hnsw_m >= 2 && content.hnsw_m <= 100, "content.hnsw_m", "2..100"));
  RECO_RETURN_IF_ERROR(Range(content.hnsw_ef_construction >= content.hnsw_m &&
                                 content.hnsw_ef_construction <= 10000,
                             "content.hnsw_ef_construction", "content.hnsw_m..10000"));
  RECO_RETURN_IF_ERROR(Range(content.hnsw_ef_search >= 1 && content.hnsw_ef_search <= 10000,
                             "content.hnsw_ef_search", "1..10000"));
  RECO_RETURN_IF_ERROR(
      Range(content.user_recall_history >= 1 && content.user_recall_history <= 1000,
            "content.user_recall_history", "1..1000"));
  RECO_RETURN_IF_ERROR(Range(content.user_recall_share >= 0 && content.user_recall_share <= 1,
                             "content.user_recall_share", "0..1"));
  RECO_RETURN_IF_ERROR(
      Range(kafka.batch_size >= 1 && kafka.batch_size <= 100000, "kafka.batch_size", "1..100000"));
  RECO_RETURN_IF_ERROR(
      Range(kafka.session_timeout_seconds >= 1 && kafka.session_timeout_seconds <= 3600,
            "kafka.session_timeout_seconds", "1..3600 seconds"));
  if (!kafka.brokers.empty()) {
    RECO_RETURN_IF_ERROR(Range(kafka.item_topic.find("{tenant}") != std::string::npos,
                               "kafka.item_topic", "a topic name with {tenant}"));
    RECO_RETURN_IF_ERROR(Range(kafka.feedback_topic.empty() ||
                                   kafka.feedback_topic.find("{tenant}") != std::string::npos,
                               "kafka.feedback_topic", "\"\" or a topic name with {tenant}"));
    RECO_RETURN_IF_ERROR(Range(!kafka.group_id.empty(), "kafka.group_id", "a non-empty name"));
    RECO_RETURN_IF_ERROR(
        Range(!kafka.dead_letter_topic.empty(), "kafka.dead_letter_topic", "a topic name"));
  }
  RECO_RETURN_IF_ERROR(ValidateExplore(explore, realtime));
  return ValidateRealtime(realtime);
}

}  // namespace reco
