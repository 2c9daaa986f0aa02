// A/B experiments and recommendation scenarios of the PostgreSQL Store backend: one row per
// experiment with its variants in a table of their own keyed by (experiment, position); one row
// per scenario with its configuration kept as the JSON text the server validated.
#include <string>

#include "store/postgres/postgres_store_impl.h"
#include "store/sqlite/encoding.h"

namespace reco::pg {
namespace {

constexpr const char* kExperimentColumns =
    "SELECT id, name, layer, status, traffic, click_types, conversion_types, started_at,"
    " stopped_at, created_at, updated_at, bucket_offset FROM experiments";
constexpr const char* kScenarioColumns = "SELECT name, config, created, updated FROM scenarios";

Result<ExperimentRecord> ReadExperiment(const PgResult& res, int row) {
  ExperimentRecord e;
  e.id = res.Text(row, 0);
  e.name = res.Text(row, 1);
  e.layer = res.Text(row, 2);
  e.status = res.Text(row, 3);
  e.traffic = res.Double(row, 4);
  RECO_ASSIGN_OR_RETURN(e.click_types, sqlite::DecodeStringArray(res.Text(row, 5)));
  RECO_ASSIGN_OR_RETURN(e.conversion_types, sqlite::DecodeStringArray(res.Text(row, 6)));
  e.started_at = res.Int(row, 7);
  e.stopped_at = res.Int(row, 8);
  e.created_at = res.Int(row, 9);
  e.updated_at = res.Int(row, 10);
  e.bucket_offset = static_cast<int>(res.Int(row, 11));
  return e;
}

// The fields after the id as parameters $1..$11, in kExperimentColumns order; the id is $12.
Params ExperimentParams(const ExperimentRecord& e) {
  Params p;
  p.Add(e.name)
      .Add(e.layer)
      .Add(e.status)
      .Add(e.traffic)
      .Add(sqlite::EncodeStringArray(e.click_types))
      .Add(sqlite::EncodeStringArray(e.conversion_types))
      .Add(static_cast<int64_t>(e.started_at))
      .Add(static_cast<int64_t>(e.stopped_at))
      .Add(static_cast<int64_t>(e.created_at))
      .Add(static_cast<int64_t>(e.updated_at))
      .Add(e.bucket_offset)
      .Add(e.id);
  return p;
}

// Replaces the variants of `e` (delete, then insert in order).
Status WriteVariants(PgConn& conn, const ExperimentRecord& e) {
  RECO_RETURN_IF_ERROR(
      conn.Command("DELETE FROM experiment_variants WHERE experiment_id = $1", Params().Add(e.id))
          .status());
  for (size_t i = 0; i < e.variants.size(); ++i) {
    const ExperimentVariantRecord& v = e.variants[i];
    RECO_RETURN_IF_ERROR(
        conn.Command("INSERT INTO experiment_variants(experiment_id, position, name, weight,"
                     " target_kind, target) VALUES($1, $2, $3, $4, $5, $6)",
                     Params()
                         .Add(e.id)
                         .Add(static_cast<int64_t>(i))
                         .Add(v.name)
                         .Add(v.weight)
                         .Add(v.target_kind)
                         .Add(v.target))
            .status());
  }
  return Status::Ok();
}

Status ReadVariants(PgConn& conn, ExperimentRecord& e) {
  RECO_ASSIGN_OR_RETURN(
      PgResult res, conn.Query("SELECT name, weight, target_kind, target FROM experiment_variants"
                               " WHERE experiment_id = $1 ORDER BY position",
                               Params().Add(e.id)));
  for (int r = 0; r < res.Rows(); ++r) {
    e.variants.push_back({std::string(res.Text(r, 0)), res.Double(r, 1),
                          std::string(res.Text(r, 2)), std::string(res.Text(r, 3))});
  }
  return Status::Ok();
}

Status CheckExperimentId(std::string_view id) {
  if (id.empty()) return InvalidArgument("experiment id must not be empty", "id");
  return Status::Ok();
}

ScenarioRecord ReadScenario(const PgResult& res, int row) {
  return ScenarioRecord{.name = std::string(res.Text(row, 0)),
                        .config_json = std::string(res.Text(row, 1)),
                        .created = res.Int(row, 2),
                        .updated = res.Int(row, 3)};
}

Status CheckScenarioName(std::string_view name) {
  if (name.empty()) return InvalidArgument("scenario name must not be empty", "name");
  return Status::Ok();
}

}  // namespace

Status PostgresStore::InsertExperiment(const ExperimentRecord& experiment) {
  RECO_RETURN_IF_ERROR(CheckExperimentId(experiment.id));
  return Write([&](PgConn& conn) -> Result<int64_t> {
           RECO_ASSIGN_OR_RETURN(
               int64_t inserted,
               conn.Command("INSERT INTO experiments(name, layer, status, traffic, click_types,"
                            " conversion_types, started_at, stopped_at, created_at, updated_at,"
                            " bucket_offset, id) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                            " $11, $12) ON CONFLICT (id) DO NOTHING",
                            ExperimentParams(experiment)));
           if (inserted == 0) {
             return AlreadyExists("experiment \"" + experiment.id + "\" already exists");
           }
           RECO_RETURN_IF_ERROR(WriteVariants(conn, experiment));
           return int64_t{1};
         })
      .status();
}

Status PostgresStore::UpdateExperiment(const ExperimentRecord& experiment) {
  RECO_RETURN_IF_ERROR(CheckExperimentId(experiment.id));
  return Write([&](PgConn& conn) -> Result<int64_t> {
           RECO_ASSIGN_OR_RETURN(
               int64_t changed,
               conn.Command("UPDATE experiments SET name = $1, layer = $2, status = $3,"
                            " traffic = $4, click_types = $5, conversion_types = $6,"
                            " started_at = $7, stopped_at = $8, created_at = $9,"
                            " updated_at = $10, bucket_offset = $11 WHERE id = $12",
                            ExperimentParams(experiment)));
           if (changed == 0) return NotFound("experiment \"" + experiment.id + "\" not found");
           RECO_RETURN_IF_ERROR(WriteVariants(conn, experiment));
           return int64_t{1};
         })
      .status();
}

Result<ExperimentRecord> PostgresStore::GetExperiment(std::string_view id) {
  return Read<ExperimentRecord>([&](PgConn& conn) -> Result<ExperimentRecord> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res,
        conn.Query(std::string(kExperimentColumns) + " WHERE id = $1", Params().Add(id)));
    if (res.Rows() == 0) return NotFound("experiment \"" + std::string(id) + "\" not found");
    RECO_ASSIGN_OR_RETURN(ExperimentRecord e, ReadExperiment(res, 0));
    RECO_RETURN_IF_ERROR(ReadVariants(conn, e));
    return e;
  });
}

Result<std::vector<ExperimentRecord>> PostgresStore::ListExperiments() {
  return Read<std::vector<ExperimentRecord>>(
      [&](PgConn& conn) -> Result<std::vector<ExperimentRecord>> {
        RECO_ASSIGN_OR_RETURN(PgResult res,
                              conn.Query(std::string(kExperimentColumns) + " ORDER BY id"));
        std::vector<ExperimentRecord> out;
        for (int r = 0; r < res.Rows(); ++r) {
          RECO_ASSIGN_OR_RETURN(ExperimentRecord e, ReadExperiment(res, r));
          RECO_RETURN_IF_ERROR(ReadVariants(conn, e));
          out.push_back(std::move(e));
        }
        return out;
      });
}

Result<int64_t> PostgresStore::DeleteExperiment(std::string_view id) {
  // The variants go with it (ON DELETE CASCADE).
  return Write([&](PgConn& conn) {
    return conn.Command("DELETE FROM experiments WHERE id = $1", Params().Add(id));
  });
}

Status PostgresStore::InsertScenario(const ScenarioRecord& scenario) {
  RECO_RETURN_IF_ERROR(CheckScenarioName(scenario.name));
  RECO_ASSIGN_OR_RETURN(int64_t inserted, Write([&](PgConn& conn) {
                          return conn.Command(
                              "INSERT INTO scenarios(name, config, created, updated)"
                              " VALUES($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
                              Params()
                                  .Add(scenario.name)
                                  .Add(scenario.config_json)
                                  .Add(static_cast<int64_t>(scenario.created))
                                  .Add(static_cast<int64_t>(scenario.updated)));
                        }));
  if (inserted == 0) return AlreadyExists("scenario \"" + scenario.name + "\" already exists");
  return Status::Ok();
}

Status PostgresStore::UpdateScenario(const ScenarioRecord& scenario) {
  RECO_RETURN_IF_ERROR(CheckScenarioName(scenario.name));
  RECO_ASSIGN_OR_RETURN(int64_t changed, Write([&](PgConn& conn) {
                          return conn.Command(
                              "UPDATE scenarios SET config = $2, updated = $3 WHERE name = $1",
                              Params()
                                  .Add(scenario.name)
                                  .Add(scenario.config_json)
                                  .Add(static_cast<int64_t>(scenario.updated)));
                        }));
  if (changed == 0) return NotFound("scenario \"" + scenario.name + "\" not found");
  return Status::Ok();
}

Result<ScenarioRecord> PostgresStore::GetScenario(std::string_view name) {
  return Read<ScenarioRecord>([&](PgConn& conn) -> Result<ScenarioRecord> {
    RECO_ASSIGN_OR_RETURN(
        PgResult res,
        conn.Query(std::string(kScenarioColumns) + " WHERE name = $1", Params().Add(name)));
    if (res.Rows() == 0) return NotFound("scenario \"" + std::string(name) + "\" not found");
    return ReadScenario(res, 0);
  });
}

Result<std::vector<ScenarioRecord>> PostgresStore::ListScenarios() {
  return Read<std::vector<ScenarioRecord>>(
      [&](PgConn& conn) -> Result<std::vector<ScenarioRecord>> {
        RECO_ASSIGN_OR_RETURN(PgResult res,
                              conn.Query(std::string(kScenarioColumns) + " ORDER BY name"));
        std::vector<ScenarioRecord> out;
        for (int r = 0; r < res.Rows(); ++r) out.push_back(ReadScenario(res, r));
        return out;
      });
}

Result<int64_t> PostgresStore::DeleteScenario(std::string_view name) {
  return Write([&](PgConn& conn) {
    return conn.Command("DELETE FROM scenarios WHERE name = $1", Params().Add(name));
  });
}

}  // namespace reco::pg
