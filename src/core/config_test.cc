#include "core/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace reco {
namespace {

std::filesystem::path WriteToml(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("reco_config_" + name + "_" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << text;
  return path;
}

TEST(RecoConfig, DefaultsAreValid) {
  auto c = RecoConfig::Load("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.http_port, 8000);
  EXPECT_TRUE(c->database.auto_insert_user);
}

TEST(RecoConfig, EnvironmentValueOfOneKeyUsesTheKeysEnvironmentNames) {
  ::unsetenv("RECO_LOG_LEVEL");
  EXPECT_EQ(RecoConfig::EnvironmentValue("log.level"), std::nullopt);
  ::setenv("RECO_LOG_LEVEL", "debug", 1);
  ::setenv("MODEL_RELOAD_URL", "http://serve/models/reload", 1);
  EXPECT_EQ(RecoConfig::EnvironmentValue("log.level"), "debug");
  EXPECT_EQ(RecoConfig::EnvironmentValue("pipeline.reload_url"), "http://serve/models/reload");
  EXPECT_EQ(RecoConfig::EnvironmentValue("no.such_key"), std::nullopt);
  ::unsetenv("RECO_LOG_LEVEL");
  ::unsetenv("MODEL_RELOAD_URL");
}

TEST(RecoConfig, ReadsFileThenEnvironmentOverrides) {
  auto path = WriteToml("env", R"([server]
http_port = 9000
api_key = "from-file"
[recommend]
positive_feedback_types = ["star", "like"]
)");
  ::setenv("RECO_SERVER_API_KEY", "from-env", 1);
  ::setenv("MODEL_RELOAD_TOKEN", "tok", 1);
  ::setenv("MODEL_RELOAD_URL", "http://serve:8000/models/reload", 1);
  auto c = RecoConfig::Load(path);
  ::unsetenv("RECO_SERVER_API_KEY");
  ::unsetenv("MODEL_RELOAD_TOKEN");
  ::unsetenv("MODEL_RELOAD_URL");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.http_port, 9000);
  EXPECT_EQ(c->server.api_key, "from-env");
  EXPECT_EQ(c->server.reload_token, "tok");
  EXPECT_EQ(c->pipeline.reload_url, "http://serve:8000/models/reload");
  EXPECT_EQ(c->recommend.feedback_types.positive, (std::vector<std::string>{"star", "like"}));
  std::filesystem::remove(path);
}

TEST(RecoConfig, BadValuesNameTheKey) {
  struct Case {
    const char* toml;
    const char* key;
  } cases[] = {
      {"[server]\nhttp_port = 70000\n", "server.http_port"},
      {"[server]\nhttp_port = \"x\"\n", "server.http_port"},
      {"[server]\nhttpport = 1\n", "server.httpport"},
      {"[recommend]\nitemcf_neighbors = 0\n", "recommend.itemcf_neighbors"},
      {"[log]\nlevel = \"loud\"\n", "log.level"},
      // Durations and time limits: bounded, so that no value overflows once in microseconds.
      {"[database]\nmax_future_skew_seconds = -1\n", "database.max_future_skew_seconds"},
      {"[database]\nmax_future_skew_seconds = 9223372036854775807\n",
       "database.max_future_skew_seconds"},
      {"[pipeline]\nmax_data_age_hours = -1.0\n", "pipeline.max_data_age_hours"},
      {"[pipeline]\nmax_data_age_hours = nan\n", "pipeline.max_data_age_hours"},
      {"[worker]\nretry_backoff_seconds = 1e300\n", "worker.retry_backoff_seconds"},
      {"[worker]\njob_timeout_seconds = inf\n", "worker.job_timeout_seconds"},
      {"[worker]\nlease_seconds = 1e18\n", "worker.lease_seconds"},
      {"[recommend]\npopularity_half_life_days = 1e308\n", "recommend.popularity_half_life_days"},
      {"[server]\nmax_connections = -1\n", "server.max_connections"},
      {"[pipeline]\nreload_url = \"https://serve/models/reload\"\n", "pipeline.reload_url"},
      {"[server]\nrequest_read_timeout = 0.0\n", "server.request_read_timeout"},
      {"[server]\nmax_inflight_body_bytes = 1024\n", "server.max_inflight_body_bytes"},
      {"[server]\nbuffer_release_bytes = 100\n", "server.buffer_release_bytes"},
      {"[store]\nurl = \"mysql://u:pw@h/db\"\n", "store.url"},
      {"[store]\npool_size = 0\n", "store.pool_size"},
  };
  for (const auto& c : cases) {
    auto path = WriteToml("bad", c.toml);
    auto r = RecoConfig::Load(path);
    ASSERT_FALSE(r.ok()) << c.toml;
    EXPECT_EQ(r.status().field(), c.key) << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.key), std::string::npos) << r.status().ToString();
    std::filesystem::remove(path);
  }
}

TEST(RecoConfig, SyntaxErrorNamesFileAndLine) {
  auto path = WriteToml("syntax", "[server]\nhttp_port = = 1\n");
  auto r = RecoConfig::Load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(path.string() + ":2"), std::string::npos)
      << r.status().ToString();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

// reco.toml.example documents every key with its default: it must load, and give the defaults.
TEST(RecoConfig, StoreUrlComesFromTheFileOrRecoStoreUrl) {
  auto path = WriteToml("store", "[store]\nurl = \"postgres://a:b@file/db\"\npool_size = 8\n");
  Result<RecoConfig> from_file = RecoConfig::Load(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->store.url, "postgres://a:b@file/db");
  EXPECT_EQ(from_file->store.pool_size, 8);
  ::setenv("RECO_STORE_URL", "postgresql://reco@env:5432/reco", 1);
  Result<RecoConfig> from_env = RecoConfig::Load(path);
  ::unsetenv("RECO_STORE_URL");
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->store.url, "postgresql://reco@env:5432/reco");
  EXPECT_TRUE(RecoConfig::Load("")->store.url.empty());  // SQLite by default
  std::filesystem::remove(path);
}

TEST(RecoConfig, CacheUrlComesFromTheFileOrRecoCacheUrlAndMustBeRedis) {
  auto path = WriteToml("cache", "[cache]\nurl = \"redis://file:6379\"\ntimeout_ms = 200\n");
  Result<RecoConfig> from_file = RecoConfig::Load(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->cache.url, "redis://file:6379");
  EXPECT_EQ(from_file->cache.timeout_ms, 200);
  ::setenv("RECO_CACHE_URL", "redis://env:6380/1", 1);
  Result<RecoConfig> from_env = RecoConfig::Load(path);
  ::setenv("RECO_CACHE_URL", "memcached://env:11211", 1);
  Result<RecoConfig> bad = RecoConfig::Load(path);
  ::unsetenv("RECO_CACHE_URL");
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->cache.url, "redis://env:6380/1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "cache.url");
  EXPECT_TRUE(RecoConfig::Load("")->cache.url.empty());  // the memory cache by default
  std::filesystem::remove(path);
}

TEST(RecoConfig, ExampleFileLoadsWithTheDefaults) {
  Result<RecoConfig> loaded = RecoConfig::Load(RECO_SOURCE_DIR "/reco.toml.example");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  RecoConfig defaults;
  EXPECT_EQ(loaded->server.http_port, defaults.server.http_port);
  EXPECT_EQ(loaded->recommend.recs_per_user, defaults.recommend.recs_per_user);
  EXPECT_EQ(loaded->sources.matomo_item_url_pattern, defaults.sources.matomo_item_url_pattern);
  EXPECT_EQ(loaded->worker.train_cron, defaults.worker.train_cron);
  EXPECT_DOUBLE_EQ(loaded->pipeline.gate_min_ratio, defaults.pipeline.gate_min_ratio);
  EXPECT_EQ(loaded->registry.keep_versions, defaults.registry.keep_versions);
  EXPECT_EQ(loaded->database.max_future_skew_seconds, defaults.database.max_future_skew_seconds);
  EXPECT_DOUBLE_EQ(loaded->pipeline.max_data_age_hours, defaults.pipeline.max_data_age_hours);
  EXPECT_EQ(loaded->store.url, defaults.store.url);
  EXPECT_EQ(loaded->store.pool_size, defaults.store.pool_size);
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

TEST(RecoConfig, HttpServerLimitsAreRead) {
  ::setenv("RECO_SERVER_MAX_CONNECTIONS", "32", 1);
  ::setenv("RECO_SERVER_REQUEST_READ_TIMEOUT", "2.5", 1);
  auto path = WriteToml("limits", R"([server]
max_inflight_body_bytes = 67108864
buffer_release_bytes = 65536
)");
  auto c = RecoConfig::Load(path);
  ::unsetenv("RECO_SERVER_MAX_CONNECTIONS");
  ::unsetenv("RECO_SERVER_REQUEST_READ_TIMEOUT");
  std::filesystem::remove(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.max_connections, 32);
  EXPECT_DOUBLE_EQ(c->server.request_read_timeout, 2.5);
  EXPECT_EQ(c->server.max_inflight_body_bytes, 64 << 20);
  EXPECT_EQ(c->server.buffer_release_bytes, 65536);
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

TEST(RecoConfig, TenantFileOverridesOnlyPerTenantKeys) {
  RecoConfig base;
  base.server.api_key = "admin";
  base.recommend.history_size = 30;
  base.database.auto_insert_item = true;
  auto path = WriteToml("tenant", R"([recommend]
positive_feedback_types = ["buy"]
[database]
auto_insert_item = false
)");
  RecoConfig tenant = base;
  ASSERT_TRUE(tenant.ApplyTenantFile(path).ok());
  EXPECT_EQ(tenant.recommend.feedback_types.positive, (std::vector<std::string>{"buy"}));
  EXPECT_FALSE(tenant.database.auto_insert_item);
  EXPECT_EQ(tenant.recommend.history_size, 30) << "unset keys keep the server's value";
  EXPECT_EQ(tenant.server.api_key, "admin");

  auto server_key = WriteToml("tenant_bad", "[server]\napi_key = \"mine\"\n");
  RecoConfig refused = base;
  Status st = refused.ApplyTenantFile(server_key);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "server.api_key");
  std::filesystem::remove(path);
  std::filesystem::remove(server_key);
}

TEST(RecoConfig, ReadsTheRealtimeSectionAndItsLeaderboards) {
  auto path = WriteToml("realtime", R"([realtime]
windows = ["30m/1m", "7d/1h"]
half_life_seconds = 1800
click_feedback_types = ["click"]

[[realtime.leaderboards]]
name = "hot_30m"
window = "30m"
feedback_types = ["click", "like"]

[[realtime.leaderboards]]
name = "trending"
window = "decay"
)");
  auto c = RecoConfig::Load(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->realtime.windows, (std::vector<std::string>{"30m/1m", "7d/1h"}));
  EXPECT_EQ(c->realtime.half_life_seconds, 1800);
  ASSERT_EQ(c->realtime.leaderboards.size(), 2u);
  EXPECT_EQ(c->realtime.leaderboards[0].name, "hot_30m");
  EXPECT_EQ(c->realtime.leaderboards[0].feedback_types,
            (std::vector<std::string>{"click", "like"}));
  EXPECT_EQ(c->realtime.leaderboards[1].window, "decay");
  EXPECT_TRUE(c->realtime.leaderboards[1].feedback_types.empty());

  ::setenv("RECO_REALTIME_LEADERBOARDS", "a=30m:click|star,b=decay", 1);
  auto env = RecoConfig::Load(path);
  ::unsetenv("RECO_REALTIME_LEADERBOARDS");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  ASSERT_EQ(env->realtime.leaderboards.size(), 2u);
  EXPECT_EQ(env->realtime.leaderboards[0].name, "a");
  EXPECT_EQ(env->realtime.leaderboards[0].window, "30m");
  EXPECT_EQ(env->realtime.leaderboards[0].feedback_types,
            (std::vector<std::string>{"click", "star"}));
  EXPECT_EQ(env->realtime.leaderboards[1].name, "b");
  std::filesystem::remove(path);
}

TEST(RecoConfig, BadRealtimeSettingsNameTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[realtime]\nwindows = [\"1h/7m\"]\n", "realtime.windows"},
      {"[realtime]\nwindows = [\"1h\", \"1h/1s\"]\n", "realtime.windows"},
      {"[realtime]\nhalf_life_seconds = 0\n", "realtime.half_life_seconds"},
      {"[realtime]\nexposures_per_user = 0\n", "realtime.exposures_per_user"},
      {"[[realtime.leaderboards]]\nname = \"x\"\nwindow = \"2h\"\n", "realtime.leaderboards"},
      {"[[realtime.leaderboards]]\nname = \"a b\"\nwindow = \"1h\"\n", "realtime.leaderboards"},
      {"[[realtime.leaderboards]]\nname = \"x\"\nwindow = \"1h\"\n"
       "[[realtime.leaderboards]]\nname = \"x\"\nwindow = \"24h\"\n",
       "realtime.leaderboards"},
      {"[[realtime.leaderboards]]\nname = \"x\"\nwindows = \"1h\"\n",
       "realtime.leaderboards.windows"},
  };
  int i = 0;
  for (const auto& [text, key] : cases) {
    auto path = WriteToml("realtime_bad" + std::to_string(i++), text);
    auto c = RecoConfig::Load(path);
    std::filesystem::remove(path);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().field(), key) << text << " -> " << c.status().ToString();
  }
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

TEST(RecoConfig, ContentKeysAreReadFromTheFileAndTheEnvironmentAndValidated) {
  auto path = WriteToml("content", "[content]\ntext_dimension = 32\nsupplied_label = \"vec\"\n");
  ::setenv("RECO_CONTENT_HNSW_EF_SEARCH", "512", 1);
  Result<RecoConfig> loaded = RecoConfig::Load(path);
  ::unsetenv("RECO_CONTENT_HNSW_EF_SEARCH");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->content.text_dimension, 32);
  EXPECT_EQ(loaded->content.supplied_label, "vec");
  EXPECT_EQ(loaded->content.hnsw_ef_search, 512);
  EXPECT_TRUE(loaded->content.text_embedder);  // on by default
  std::filesystem::remove(path);

  auto bad = WriteToml("content_bad", "[content]\ntext_ngram_min = 4\ntext_ngram_max = 3\n");
  Result<RecoConfig> refused = RecoConfig::Load(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("content.text_ngram_min"), std::string::npos)
      << refused.status().message();
  std::filesystem::remove(bad);

  Result<RecoConfig> example = RecoConfig::Load(RECO_SOURCE_DIR "/reco.toml.example");
  ASSERT_TRUE(example.ok()) << example.status().ToString();
  RecoConfig defaults;
  EXPECT_EQ(example->content.text_dimension, defaults.content.text_dimension);
  EXPECT_EQ(example->content.hnsw_ef_construction, defaults.content.hnsw_ef_construction);
  EXPECT_EQ(example->content.supplied_label, defaults.content.supplied_label);
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

TEST(RecoConfig, ExploreKeysComeFromTheFileTheEnvironmentAndTheExample) {
  Result<RecoConfig> example = RecoConfig::Load(RECO_SOURCE_DIR "/reco.toml.example");
  ASSERT_TRUE(example.ok()) << example.status().ToString();
  RecoConfig defaults;
  EXPECT_FALSE(example->explore.enabled);
  EXPECT_EQ(example->explore.min_history, defaults.explore.min_history);
  EXPECT_DOUBLE_EQ(example->explore.share, defaults.explore.share);
  EXPECT_EQ(example->explore.label_key, defaults.explore.label_key);
  EXPECT_EQ(example->explore.fresh_candidates, defaults.explore.fresh_candidates);
  EXPECT_DOUBLE_EQ(example->explore.refresh_seconds, defaults.explore.refresh_seconds);
  EXPECT_EQ(example->explore.seed, defaults.explore.seed);

  auto path = WriteToml("explore", "[explore]\nenabled = true\nshare = 0.5\nwindow = \"24h\"\n");
  ::setenv("RECO_EXPLORE_MIN_HISTORY", "3", 1);
  ::setenv("RECO_EXPLORE_SEED", "42", 1);
  Result<RecoConfig> loaded = RecoConfig::Load(path);
  ::unsetenv("RECO_EXPLORE_MIN_HISTORY");
  ::unsetenv("RECO_EXPLORE_SEED");
  std::filesystem::remove(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->explore.enabled);
  EXPECT_DOUBLE_EQ(loaded->explore.share, 0.5);
  EXPECT_EQ(loaded->explore.window, "24h");
  EXPECT_EQ(loaded->explore.min_history, 3);
  EXPECT_EQ(loaded->explore.seed, 42);
}

TEST(RecoConfig, BadExploreValuesAreNamed) {
  struct Case {
    const char* toml;
    const char* field;
  };
  for (const Case& c : {Case{"share = 1.5", "explore.share"},
                        Case{"min_history = 0", "explore.min_history"},
                        Case{"prior_beta = 0", "explore.prior_beta"},
                        Case{"fresh_candidates = 0", "explore.fresh_candidates"},
                        Case{"window = \"2h\"", "explore.window"},
                        Case{"label_key = \"\"", "explore.label_key"}}) {
    auto path = WriteToml("explore_bad", std::string("[explore]\n") + c.toml + "\n");
    Result<RecoConfig> refused = RecoConfig::Load(path);
    std::filesystem::remove(path);
    ASSERT_FALSE(refused.ok()) << c.toml;
    EXPECT_EQ(refused.status().field(), c.field) << refused.status().ToString();
  }
}

TEST(RecoConfig, UserRecallKeysAreReadAndValidated) {
  RecoConfig defaults;
  EXPECT_EQ(defaults.content.user_recall_history, 20);
  EXPECT_EQ(defaults.content.user_recall_share, 0.0);
  auto path = WriteToml("user_recall", "[content]\nuser_recall_history = 5\n");
  ::setenv("RECO_CONTENT_USER_RECALL_SHARE", "0.25", 1);
  Result<RecoConfig> loaded = RecoConfig::Load(path);
  ::unsetenv("RECO_CONTENT_USER_RECALL_SHARE");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->content.user_recall_history, 5);
  EXPECT_DOUBLE_EQ(loaded->content.user_recall_share, 0.25);
  std::filesystem::remove(path);
  for (const char* body : {"[content]\nuser_recall_share = 1.5\n",
                           "[content]\nuser_recall_history = 0\n"}) {
    auto bad = WriteToml("user_recall_bad", body);
    Result<RecoConfig> refused = RecoConfig::Load(bad);
    ASSERT_FALSE(refused.ok()) << body;
    EXPECT_NE(refused.status().message().find("content.user_recall_"), std::string::npos)
        << refused.status().message();
    std::filesystem::remove(bad);
  }
  Result<RecoConfig> example = RecoConfig::Load(RECO_SOURCE_DIR "/reco.toml.example");
  ASSERT_TRUE(example.ok()) << example.status().ToString();
  EXPECT_EQ(example->content.user_recall_history, defaults.content.user_recall_history);
  EXPECT_EQ(example->content.user_recall_share, defaults.content.user_recall_share);
}

}  // namespace
}  // namespace reco
