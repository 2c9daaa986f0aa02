// JSON response bodies shared by the routes, in Gorse's shapes.
//
// Thread-safety: pure functions; a thread-local parser per thread for request bodies.
#pragma once

#include <string_view>
#include <vector>

#include "api/http/http_message.h"
#include "core/config.h"
#include "core/time.h"
#include "ingest/gorse_json.h"
#include "serving/model_manager.h"
#include "serving/recommender.h"

namespace reco::api {

// {"RowAffected": n}
void WriteRowAffected(HttpResponse& res, int64_t n);
// [{"Id": "...", "Score": 1.5}, ...]
void WriteScores(HttpResponse& res, const std::vector<ScoredId>& items);
// {"status": "reloaded", "model_version", "snapshot_id", "run_id", "selected_by", "mode",
//  "rollout", "files", "seconds"}: a model version swapped in.
void WriteReloadReport(HttpResponse& res, const ReloadReport& report);
// ["id1", "id2", ...]
void WriteIds(HttpResponse& res, const std::vector<ScoredId>& items);

// The calling thread's reusable Gorse JSON parser: the clock's now is the default timestamp, and
// a Timestamp more than database.max_future_skew_seconds after it is a 400 naming the field.
ingest::GorseJsonParser& BodyParser(const Clock& clock, const DatabaseConfig& database);
// Frees the calling thread's body parser buffers when they hold more than `max_bytes`; true when
// it did.
bool ReleaseBodyParserBuffers(size_t max_bytes);

}  // namespace reco::api
