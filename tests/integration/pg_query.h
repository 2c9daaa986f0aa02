// One SQL statement on a PostgreSQL URL (its first value, or every row), for tests that look
// into the database a real `reco serve` or `reco worker` writes to.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>
#include <vector>

namespace reco::itest {

// "" when the statement returns no row; a failed statement fails the calling test.
inline std::string PgQuery(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  PGresult* res = PQexec(conn, sql.c_str());
  std::string out;
  if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) out = PQgetvalue(res, 0, 0);
  EXPECT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  return out;
}

// Every row of one statement, each as its columns' text; a failed statement fails the test.
inline std::vector<std::vector<std::string>> PgRows(const std::string& url,
                                                    const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  PGresult* res = PQexec(conn, sql.c_str());
  std::vector<std::vector<std::string>> rows;
  EXPECT_EQ(PQresultStatus(res), PGRES_TUPLES_OK) << PQresultErrorMessage(res);
  if (PQresultStatus(res) == PGRES_TUPLES_OK) {
    for (int r = 0; r < PQntuples(res); ++r) {
      std::vector<std::string>& row = rows.emplace_back();
      for (int c = 0; c < PQnfields(res); ++c) row.emplace_back(PQgetvalue(res, r, c));
    }
  }
  PQclear(res);
  PQfinish(conn);
  return rows;
}

}  // namespace reco::itest
