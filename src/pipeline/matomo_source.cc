#include "pipeline/matomo_source.h"

#include <mysql.h>

#include <charconv>

namespace reco::pipeline {

namespace {

constexpr unsigned int kErrNoSuchTable = 1146;

bool ValidPrefix(std::string_view prefix) {
  for (char c : prefix) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

int64_t ToInt(const char* text, unsigned long length) {
  int64_t v = 0;
  if (text == nullptr) return 0;
  std::from_chars(text, text + length, v);  // "1700000000" or "1700000000.000000"
  return v;
}

}  // namespace

Result<MatomoUrlMapper> MatomoUrlMapper::Create(const std::string& pattern) {
  std::regex re;
  try {
    re = std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return InvalidArgument(
        "sources.matomo_item_url_pattern: invalid regex '" + pattern + "': " + e.what(),
        "sources.matomo_item_url_pattern");
  }
  if (re.mark_count() < 1) {
    return InvalidArgument("sources.matomo_item_url_pattern: '" + pattern +
                               "' needs a capture group (group 1 is the item id)",
                           "sources.matomo_item_url_pattern");
  }
  return MatomoUrlMapper(std::move(re));
}

std::optional<std::string> MatomoUrlMapper::ItemId(std::string_view url) const {
  std::match_results<std::string_view::const_iterator> m;
  try {
    if (!std::regex_search(url.begin(), url.end(), m, re_) || !m[1].matched || m[1].length() == 0) {
      return std::nullopt;
    }
  } catch (const std::regex_error&) {  // pathological URL for this pattern: no item
    return std::nullopt;
  }
  return m[1].str();
}

std::string MatomoVisitorHex(std::string_view binary) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(binary.size() * 2);
  for (unsigned char c : binary) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string MatomoFullUrl(std::string_view name, std::optional<int> url_prefix) {
  static constexpr std::string_view kPrefixes[] = {"http://", "http://www.", "https://",
                                                   "https://www."};
  std::string out;
  if (url_prefix && *url_prefix >= 0 && *url_prefix < 4) out = kPrefixes[*url_prefix];
  out.append(name);
  return out;
}

Status ValidateMatomoConfig(const SourcesConfig& config) {
  if (config.matomo_host.empty()) {
    return InvalidArgument("sources.matomo_host is empty: the Matomo source is not configured",
                           "sources.matomo_host");
  }
  if (!ValidPrefix(config.matomo_table_prefix)) {
    return InvalidArgument("sources.matomo_table_prefix: '" + config.matomo_table_prefix +
                               "' may only contain letters, digits and '_'",
                           "sources.matomo_table_prefix");
  }
  if (config.matomo_feedback_type.empty()) {
    return InvalidArgument("sources.matomo_feedback_type must not be empty",
                           "sources.matomo_feedback_type");
  }
  return MatomoUrlMapper::Create(config.matomo_item_url_pattern).status();
}

struct MatomoReader::Impl {
  MYSQL* conn = nullptr;
  SourcesConfig config;
  std::optional<MatomoUrlMapper> mapper;
  std::string visits_table;
  std::string actions_table;

  ~Impl() {
    if (conn != nullptr) mysql_close(conn);
  }

  std::string Where(int64_t after) const {
    std::string where = "v.idlink_va > " + std::to_string(after) + " AND a.type = 1";
    if (config.matomo_site_id > 0) {
      where += " AND v.idsite = " + std::to_string(config.matomo_site_id);
    }
    return where;
  }

  std::string From() const {
    return " FROM " + visits_table + " v JOIN " + actions_table +
           " a ON a.idaction = v.idaction_url WHERE ";
  }

  Status Error(std::string_view what) const {
    return Unavailable("Matomo " + std::string(what) + " failed on " + config.matomo_host + ":" +
                       std::to_string(config.matomo_port) + ": " + mysql_error(conn));
  }

  // Runs `sql` and returns its stored result (never null on success).
  Result<MYSQL_RES*> Query(const std::string& sql, std::string_view what) {
    if (mysql_real_query(conn, sql.data(), sql.size()) != 0) return Error(what);
    MYSQL_RES* res = mysql_store_result(conn);
    if (res == nullptr) return Error(what);
    return res;
  }

  Status CheckTable(const std::string& table, const std::string& columns) {
    std::string sql = "SELECT " + columns + " FROM " + table + " LIMIT 0";
    if (mysql_real_query(conn, sql.data(), sql.size()) != 0) {
      if (mysql_errno(conn) == kErrNoSuchTable) {
        return NotFound("Matomo table " + config.matomo_database + "." + table +
                        " does not exist (check sources.matomo_database and "
                        "sources.matomo_table_prefix)");
      }
      return FailedPrecondition("Matomo table " + table + " lacks the columns " + columns + ": " +
                                mysql_error(conn));
    }
    MYSQL_RES* res = mysql_store_result(conn);
    if (res != nullptr) mysql_free_result(res);
    return Status::Ok();
  }
};

MatomoReader::MatomoReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MatomoReader::~MatomoReader() = default;

Result<std::unique_ptr<MatomoReader>> MatomoReader::Connect(const SourcesConfig& config) {
  RECO_RETURN_IF_ERROR(ValidateMatomoConfig(config));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  RECO_ASSIGN_OR_RETURN(MatomoUrlMapper mapper,
                        MatomoUrlMapper::Create(config.matomo_item_url_pattern));
  impl->mapper.emplace(std::move(mapper));
  impl->visits_table = config.matomo_table_prefix + "log_link_visit_action";
  impl->actions_table = config.matomo_table_prefix + "log_action";
  impl->conn = mysql_init(nullptr);
  if (impl->conn == nullptr) return Internal("mysql_init failed (out of memory)");
  unsigned int timeout = 10;
  mysql_options(impl->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  unsigned int read_timeout = 300;
  mysql_options(impl->conn, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(impl->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const bool socket = config.matomo_host.starts_with('/');
  if (mysql_real_connect(impl->conn, socket ? nullptr : config.matomo_host.c_str(),
                         config.matomo_user.c_str(), config.matomo_password.c_str(),
                         config.matomo_database.c_str(), socket ? 0 : config.matomo_port,
                         socket ? config.matomo_host.c_str() : nullptr, 0) == nullptr) {
    return Unavailable("cannot connect to the Matomo database " + config.matomo_user + "@" +
                       config.matomo_host + ":" + std::to_string(config.matomo_port) + "/" +
                       config.matomo_database + " (sources.matomo_*): " + mysql_error(impl->conn));
  }
  // server_time is a DATETIME in UTC: read it as Unix time in a UTC session.
  const std::string tz = "SET time_zone = '+00:00'";
  if (mysql_real_query(impl->conn, tz.data(), tz.size()) != 0) return impl->Error("SET time_zone");
  RECO_RETURN_IF_ERROR(impl->CheckTable(impl->visits_table,
                                        "idlink_va, idsite, idvisitor, server_time, idaction_url"));
  RECO_RETURN_IF_ERROR(impl->CheckTable(impl->actions_table, "idaction, name, type, url_prefix"));
  return std::unique_ptr<MatomoReader>(new MatomoReader(std::move(impl)));
}

Result<MatomoBatch> MatomoReader::ReadBatch(int64_t after_idlink_va, int limit) {
  const std::string sql =
      "SELECT v.idlink_va, v.idvisitor, UNIX_TIMESTAMP(v.server_time), a.name, a.url_prefix" +
      impl_->From() + impl_->Where(after_idlink_va) + " ORDER BY v.idlink_va LIMIT " +
      std::to_string(limit);
  RECO_ASSIGN_OR_RETURN(MYSQL_RES * res, impl_->Query(sql, "page-view query"));
  MatomoBatch batch;
  batch.last_idlink_va = after_idlink_va;
  batch.feedback.reserve(mysql_num_rows(res));
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    const unsigned long* len = mysql_fetch_lengths(res);
    ++batch.rows_read;
    batch.last_idlink_va = ToInt(row[0], len[0]);
    std::optional<int> prefix;
    if (row[4] != nullptr) prefix = static_cast<int>(ToInt(row[4], len[4]));
    std::string url = MatomoFullUrl(
        row[3] == nullptr ? std::string_view() : std::string_view(row[3], len[3]), prefix);
    std::optional<std::string> item = impl_->mapper->ItemId(url);
    if (!item) {
      ++batch.rows_skipped;
      continue;
    }
    Feedback f;
    f.feedback_type = impl_->config.matomo_feedback_type;
    f.user_id = MatomoVisitorHex(std::string_view(row[1], len[1]));
    f.item_id = std::move(*item);
    f.timestamp = ToInt(row[2], len[2]) * kMicrosPerSecond;
    batch.feedback.push_back(std::move(f));
  }
  mysql_free_result(res);
  return batch;
}

Result<MatomoPending> MatomoReader::CountPending(int64_t after_idlink_va) {
  const std::string sql = "SELECT COUNT(*), COALESCE(MAX(v.idlink_va), 0)" + impl_->From() +
                          impl_->Where(after_idlink_va);
  RECO_ASSIGN_OR_RETURN(MYSQL_RES * res, impl_->Query(sql, "count query"));
  MatomoPending pending;
  if (MYSQL_ROW row = mysql_fetch_row(res)) {
    const unsigned long* len = mysql_fetch_lengths(res);
    pending.rows = ToInt(row[0], len[0]);
    pending.max_idlink_va = ToInt(row[1], len[1]);
  }
  mysql_free_result(res);
  return pending;
}

}  // namespace reco::pipeline
