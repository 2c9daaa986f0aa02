// The first column of the first row of one SQL statement on a PostgreSQL URL, for tests that
// look into the database a real `reco serve` writes to.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>

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

}  // namespace reco::itest
