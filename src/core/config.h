// RecoConfig: every setting of reco, with its default written here once. Loaded from a TOML
// file (reco.toml; see reco.toml.example), then overridden from the environment
// (RECO_<SECTION>_<KEY>, e.g. RECO_SERVER_API_KEY, plus the operators' names MODEL_RELOAD_TOKEN,
// DATA_JSON_DIR), then validated once: a bad value names the key and the accepted range.
//
// Thread-safety: a loaded RecoConfig is an immutable value; share it by const reference.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/types.h"

namespace reco {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int http_port = 8000;                       // 0 picks a free port
  int threads = 0;                            // 0 = number of cores
  int blocking_threads = 16;                  // threads for write requests (store commits)
  std::string api_key;                        // X-API-Key required when set
  std::string reload_token;                   // Bearer token for POST /models/reload
  int64_t max_body_bytes = 16 * 1024 * 1024;  // larger bodies get 413
  int default_n = 10;                         // n when a request names none
  int max_n = 1000;                           // n above this is a 400
  double drain_seconds = 10.0;                // SIGTERM: wait this long for in-flight requests
};

struct DatabaseConfig {
  std::string data_store = "sqlite";    // only "sqlite" for now
  std::string sqlite_path = "reco.db";  // relative to the data dir
  bool auto_insert_user = true;         // unknown user ids on feedback are inserted
  bool auto_insert_item = true;         // unknown item ids on feedback are inserted
};

struct RecommendConfig {
  FeedbackTypes feedback_types;            // positive_/read_/negative_feedback_types
  int itemcf_neighbors = 100;              // top-K neighbours kept per item
  double itemcf_shrinkage = 10.0;          // cosine shrinkage term
  int history_size = 50;                   // recent positive items used per user
  double popularity_half_life_days = 7.0;  // time decay of popularity
  int popular_list_size = 1000;            // items kept per popularity / latest list
};

struct RecoConfig {
  ServerConfig server;
  DatabaseConfig database;
  RecommendConfig recommend;
  std::string log_level = "info";

  // Reads `path` (empty = only defaults + environment), applies the environment, validates.
  static Result<RecoConfig> Load(const std::filesystem::path& path);
  Status Validate() const;
};

}  // namespace reco
