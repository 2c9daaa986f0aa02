// Matomo source: page views from a Matomo analytics database (MariaDB/MySQL, client libmariadb)
// as feedback rows. Reads <prefix>log_link_visit_action joined with <prefix>log_action on
// idaction_url (type 1 = page URL) in idlink_va order after a watermark; the item id is capture
// group 1 of sources.matomo_item_url_pattern applied to the full URL, the user id is the hex of
// idvisitor, the time is server_time read in a session whose time_zone is '+00:00' (Matomo
// stores server_time in UTC), the feedback type is sources.matomo_feedback_type.
//
// Thread-safety: a MatomoReader owns one connection and is not thread-safe; the helpers are.
// Lifetime: the connection is closed when the reader is destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/status.h"
#include "store/types.h"

namespace reco::pipeline {

// Maps a page URL to an item id with the configured pattern.
class MatomoUrlMapper {
 public:
  // InvalidArgument naming sources.matomo_item_url_pattern when the regex does not compile or
  // has no capture group.
  static Result<MatomoUrlMapper> Create(const std::string& pattern);
  // Group 1 of the first match, or nullopt when the URL does not match or the group is empty.
  std::optional<std::string> ItemId(std::string_view url) const;

 private:
  explicit MatomoUrlMapper(std::regex re) : re_(std::move(re)) {}
  std::regex re_;
};

// Lowercase hex of a binary id (Matomo's idvisitor is BINARY(8): 16 hex digits).
std::string MatomoVisitorHex(std::string_view binary);

// Matomo stores URLs without their scheme in log_action.name and the scheme in url_prefix:
// 0 "http://", 1 "http://www.", 2 "https://", 3 "https://www."; nullopt or another value keeps
// the name as it is.
std::string MatomoFullUrl(std::string_view name, std::optional<int> url_prefix);

// Checks the sources.matomo_* keys (host set, table prefix of [A-Za-z0-9_] only, pattern,
// feedback type). Errors name the key.
Status ValidateMatomoConfig(const SourcesConfig& config);

// One batch of page views.
struct MatomoBatch {
  std::vector<Feedback> feedback;  // rows whose URL matched the pattern
  int64_t rows_read = 0;           // page-view rows returned
  int64_t rows_skipped = 0;        // rows whose URL did not match
  int64_t last_idlink_va = 0;      // highest idlink_va returned; the next watermark
};

// What a dry run reports.
struct MatomoPending {
  int64_t rows = 0;           // page views with idlink_va > watermark
  int64_t max_idlink_va = 0;  // 0 when there are none
};

class MatomoReader {
 public:
  // Connects (TCP to host:port, or a Unix socket when matomo_host starts with '/'), sets the
  // session time zone to UTC and checks that both tables exist. Unavailable naming
  // user@host:port/database and the server's message when it cannot connect; NotFound naming the
  // table when one is missing.
  static Result<std::unique_ptr<MatomoReader>> Connect(const SourcesConfig& config);
  ~MatomoReader();
  MatomoReader(const MatomoReader&) = delete;
  MatomoReader& operator=(const MatomoReader&) = delete;

  // Up to `limit` page views with idlink_va > after_idlink_va (and the configured idsite), in
  // idlink_va order. A batch with rows_read < limit is the last one.
  Result<MatomoBatch> ReadBatch(int64_t after_idlink_va, int limit);
  Result<MatomoPending> CountPending(int64_t after_idlink_va);

 private:
  struct Impl;
  explicit MatomoReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reco::pipeline
