// A/B experiments of the sqlite Store backend: one row per experiment, its variants in a table of
// their own keyed by (experiment, position).
#include <string>

#include "store/sqlite/encoding.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace reco::sqlite {
namespace {

constexpr const char* kExperimentColumns =
    "SELECT id, name, layer, status, traffic, click_types, conversion_types, started_at,"
    " stopped_at, created_at, updated_at, bucket_offset FROM experiments";

Result<ExperimentRecord> ReadExperiment(const Stmt& stmt) {
  ExperimentRecord e;
  e.id = stmt.Text(0);
  e.name = stmt.Text(1);
  e.layer = stmt.Text(2);
  e.status = stmt.Text(3);
  e.traffic = stmt.Double(4);
  RECO_ASSIGN_OR_RETURN(e.click_types, DecodeStringArray(stmt.Text(5)));
  RECO_ASSIGN_OR_RETURN(e.conversion_types, DecodeStringArray(stmt.Text(6)));
  e.started_at = stmt.Int(7);
  e.stopped_at = stmt.Int(8);
  e.created_at = stmt.Int(9);
  e.updated_at = stmt.Int(10);
  e.bucket_offset = static_cast<int>(stmt.Int(11));
  return e;
}

// The encoded type lists, alive until the statement has run (BindText does not copy).
struct EncodedTypes {
  std::string clicks;
  std::string conversions;
};

// Binds the fields after the id as parameters 1..11, in kExperimentColumns order.
void BindExperiment(Stmt& stmt, const ExperimentRecord& e, EncodedTypes& types) {
  types.clicks = EncodeStringArray(e.click_types);
  types.conversions = EncodeStringArray(e.conversion_types);
  stmt.BindText(1, e.name);
  stmt.BindText(2, e.layer);
  stmt.BindText(3, e.status);
  stmt.Bind(4, e.traffic);
  stmt.BindText(5, types.clicks);
  stmt.BindText(6, types.conversions);
  stmt.Bind(7, static_cast<int64_t>(e.started_at));
  stmt.Bind(8, static_cast<int64_t>(e.stopped_at));
  stmt.Bind(9, static_cast<int64_t>(e.created_at));
  stmt.Bind(10, static_cast<int64_t>(e.updated_at));
  stmt.Bind(11, static_cast<int64_t>(e.bucket_offset));
}

// Replaces the variants of `e` (delete, then insert in order).
Status WriteVariants(Connection& conn, const ExperimentRecord& e) {
  RECO_ASSIGN_OR_RETURN(Stmt del,
                        conn.Prepare("DELETE FROM experiment_variants WHERE experiment_id = ?"));
  del.BindText(1, e.id);
  RECO_RETURN_IF_ERROR(del.Run("delete experiment variants"));
  RECO_ASSIGN_OR_RETURN(
      Stmt ins, conn.Prepare("INSERT INTO experiment_variants(experiment_id, position, name,"
                             " weight, target_kind, target) VALUES(?, ?, ?, ?, ?, ?)"));
  for (size_t i = 0; i < e.variants.size(); ++i) {
    const ExperimentVariantRecord& v = e.variants[i];
    ins.Reset();
    ins.BindText(1, e.id);
    ins.Bind(2, static_cast<int64_t>(i));
    ins.BindText(3, v.name);
    ins.Bind(4, v.weight);
    ins.BindText(5, v.target_kind);
    ins.BindText(6, v.target);
    RECO_RETURN_IF_ERROR(ins.Run("insert experiment variant"));
  }
  return Status::Ok();
}

Status ReadVariants(Connection& conn, ExperimentRecord& e) {
  RECO_ASSIGN_OR_RETURN(
      Stmt stmt, conn.Prepare("SELECT name, weight, target_kind, target FROM experiment_variants"
                              " WHERE experiment_id = ? ORDER BY position"));
  stmt.BindText(1, e.id);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    e.variants.push_back({std::string(stmt.Text(0)), stmt.Double(1), std::string(stmt.Text(2)),
                          std::string(stmt.Text(3))});
  }
  if (rc != SQLITE_DONE) return stmt.Error(rc, "read experiment variants");
  return Status::Ok();
}

Status CheckId(std::string_view id) {
  if (id.empty()) return InvalidArgument("experiment id must not be empty", "id");
  return Status::Ok();
}

}  // namespace

Status SqliteStore::InsertExperiment(const ExperimentRecord& experiment) {
  RECO_RETURN_IF_ERROR(CheckId(experiment.id));
  return Write([&](Connection& conn) -> Result<int64_t> {
           RECO_ASSIGN_OR_RETURN(Stmt exists,
                                 conn.Prepare("SELECT count(*) FROM experiments WHERE id = ?"));
           exists.BindText(1, experiment.id);
           if (exists.Step() == SQLITE_ROW && exists.Int(0) > 0) {
             return AlreadyExists("experiment \"" + experiment.id + "\" already exists");
           }
           RECO_ASSIGN_OR_RETURN(
               Stmt stmt,
               conn.Prepare("INSERT INTO experiments(name, layer, status, traffic, click_types,"
                            " conversion_types, started_at, stopped_at, created_at, updated_at,"
                            " bucket_offset, id) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
           EncodedTypes types;
           BindExperiment(stmt, experiment, types);
           stmt.BindText(12, experiment.id);
           RECO_RETURN_IF_ERROR(stmt.Run("insert experiment"));
           RECO_RETURN_IF_ERROR(WriteVariants(conn, experiment));
           return int64_t{1};
         })
      .status();
}

Status SqliteStore::UpdateExperiment(const ExperimentRecord& experiment) {
  RECO_RETURN_IF_ERROR(CheckId(experiment.id));
  return Write([&](Connection& conn) -> Result<int64_t> {
           RECO_ASSIGN_OR_RETURN(
               Stmt stmt,
               conn.Prepare("UPDATE experiments SET name = ?, layer = ?, status = ?, traffic = ?,"
                            " click_types = ?, conversion_types = ?, started_at = ?,"
                            " stopped_at = ?, created_at = ?, updated_at = ?, bucket_offset = ?"
                            " WHERE id = ?"));
           EncodedTypes types;
           BindExperiment(stmt, experiment, types);
           stmt.BindText(12, experiment.id);
           RECO_RETURN_IF_ERROR(stmt.Run("update experiment"));
           if (conn.Changes() == 0) {
             return NotFound("experiment \"" + experiment.id + "\" not found");
           }
           RECO_RETURN_IF_ERROR(WriteVariants(conn, experiment));
           return int64_t{1};
         })
      .status();
}

Result<ExperimentRecord> SqliteStore::GetExperiment(std::string_view id) {
  return Read<ExperimentRecord>([&](Connection& conn) -> Result<ExperimentRecord> {
    RECO_ASSIGN_OR_RETURN(Stmt stmt,
                          conn.Prepare(std::string(kExperimentColumns) + " WHERE id = ?"));
    stmt.BindText(1, id);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return NotFound("experiment \"" + std::string(id) + "\" not found");
    if (rc != SQLITE_ROW) return stmt.Error(rc, "read experiment");
    RECO_ASSIGN_OR_RETURN(ExperimentRecord e, ReadExperiment(stmt));
    RECO_RETURN_IF_ERROR(ReadVariants(conn, e));
    return e;
  });
}

Result<std::vector<ExperimentRecord>> SqliteStore::ListExperiments() {
  return Read<std::vector<ExperimentRecord>>(
      [&](Connection& conn) -> Result<std::vector<ExperimentRecord>> {
        RECO_ASSIGN_OR_RETURN(Stmt stmt,
                              conn.Prepare(std::string(kExperimentColumns) + " ORDER BY id"));
        std::vector<ExperimentRecord> out;
        int rc;
        while ((rc = stmt.Step()) == SQLITE_ROW) {
          RECO_ASSIGN_OR_RETURN(ExperimentRecord e, ReadExperiment(stmt));
          out.push_back(std::move(e));
        }
        if (rc != SQLITE_DONE) return stmt.Error(rc, "list experiments");
        for (ExperimentRecord& e : out) RECO_RETURN_IF_ERROR(ReadVariants(conn, e));
        return out;
      });
}

Result<int64_t> SqliteStore::DeleteExperiment(std::string_view id) {
  return Write([&](Connection& conn) -> Result<int64_t> {
    RECO_ASSIGN_OR_RETURN(Stmt del,
                          conn.Prepare("DELETE FROM experiment_variants WHERE experiment_id = ?"));
    del.BindText(1, id);
    RECO_RETURN_IF_ERROR(del.Run("delete experiment variants"));
    RECO_ASSIGN_OR_RETURN(Stmt stmt, conn.Prepare("DELETE FROM experiments WHERE id = ?"));
    stmt.BindText(1, id);
    RECO_RETURN_IF_ERROR(stmt.Run("delete experiment"));
    return conn.Changes();
  });
}

}  // namespace reco::sqlite
