// Recommendation scenarios of the sqlite Store backend: one row per scenario, its configuration
// kept as the JSON text the server validated.
#include <string>

#include "store/sqlite/sqlite_store_impl.h"

namespace reco::sqlite {
namespace {

constexpr const char* kScenarioColumns = "SELECT name, config, created, updated FROM scenarios";

ScenarioRecord ReadScenario(const Stmt& stmt) {
  return ScenarioRecord{.name = std::string(stmt.Text(0)),
                        .config_json = std::string(stmt.Text(1)),
                        .created = stmt.Int(2),
                        .updated = stmt.Int(3)};
}

Status CheckScenarioName(std::string_view name) {
  if (name.empty()) return InvalidArgument("scenario name must not be empty", "name");
  return Status::Ok();
}

}  // namespace

Status SqliteStore::InsertScenario(const ScenarioRecord& scenario) {
  RECO_RETURN_IF_ERROR(CheckScenarioName(scenario.name));
  RECO_ASSIGN_OR_RETURN(int64_t inserted, Write([&](Connection& conn) -> Result<int64_t> {
                          RECO_ASSIGN_OR_RETURN(Stmt stmt,
                                                conn.Prepare("INSERT INTO scenarios(name, config, "
                                                             "created, updated) VALUES(?, ?, ?, ?)"
                                                             " ON CONFLICT(name) DO NOTHING"));
                          stmt.BindText(1, scenario.name);
                          stmt.BindText(2, scenario.config_json);
                          stmt.Bind(3, static_cast<int64_t>(scenario.created));
                          stmt.Bind(4, static_cast<int64_t>(scenario.updated));
                          RECO_RETURN_IF_ERROR(stmt.Run("insert scenario"));
                          return conn.Changes();
                        }));
  if (inserted == 0) return AlreadyExists("scenario \"" + scenario.name + "\" already exists");
  return Status::Ok();
}

Status SqliteStore::UpdateScenario(const ScenarioRecord& scenario) {
  RECO_RETURN_IF_ERROR(CheckScenarioName(scenario.name));
  RECO_ASSIGN_OR_RETURN(int64_t changed, Write([&](Connection& conn) -> Result<int64_t> {
                          RECO_ASSIGN_OR_RETURN(Stmt stmt,
                                                conn.Prepare("UPDATE scenarios SET config = ?, "
                                                             "updated = ? WHERE name = ?"));
                          stmt.BindText(1, scenario.config_json);
                          stmt.Bind(2, static_cast<int64_t>(scenario.updated));
                          stmt.BindText(3, scenario.name);
                          RECO_RETURN_IF_ERROR(stmt.Run("update scenario"));
                          return conn.Changes();
                        }));
  if (changed == 0) return NotFound("scenario \"" + scenario.name + "\" not found");
  return Status::Ok();
}

Result<ScenarioRecord> SqliteStore::GetScenario(std::string_view name) {
  return Read<ScenarioRecord>([&](Connection& conn) -> Result<ScenarioRecord> {
    RECO_ASSIGN_OR_RETURN(Stmt stmt,
                          conn.Prepare(std::string(kScenarioColumns) + " WHERE name = ?"));
    stmt.BindText(1, name);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return NotFound("scenario \"" + std::string(name) + "\" not found");
    if (rc != SQLITE_ROW) return stmt.Error(rc, "read scenario");
    return ReadScenario(stmt);
  });
}

Result<std::vector<ScenarioRecord>> SqliteStore::ListScenarios() {
  return Read<std::vector<ScenarioRecord>>(
      [&](Connection& conn) -> Result<std::vector<ScenarioRecord>> {
        RECO_ASSIGN_OR_RETURN(Stmt stmt,
                              conn.Prepare(std::string(kScenarioColumns) + " ORDER BY name"));
        std::vector<ScenarioRecord> out;
        int rc;
        while ((rc = stmt.Step()) == SQLITE_ROW) out.push_back(ReadScenario(stmt));
        if (rc != SQLITE_DONE) return stmt.Error(rc, "list scenarios");
        return out;
      });
}

Result<int64_t> SqliteStore::DeleteScenario(std::string_view name) {
  return Write([&](Connection& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare("DELETE FROM scenarios WHERE name = ?"));
    stmt.BindText(1, name);
    RECO_RETURN_IF_ERROR(stmt.Run("delete scenario"));
    return conn.Changes();
  });
}

}  // namespace reco::sqlite
