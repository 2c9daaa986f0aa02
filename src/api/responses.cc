#include "api/responses.h"

#include "core/json_writer.h"
#include "ingest/time_limits.h"

namespace reco::api {

void WriteRowAffected(HttpResponse& res, int64_t n) {
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("RowAffected").Int(n).EndObject();
  res.body = w.Take();
}

void WriteScores(HttpResponse& res, const std::vector<ScoredId>& items) {
  JsonWriter w(std::move(res.body));
  w.BeginArray();
  for (const auto& item : items) {
    w.BeginObject()
        .Key("Id")
        .String(item.id)
        .Key("Score")
        .Float(static_cast<float>(item.score))
        .EndObject();
  }
  w.EndArray();
  res.body = w.Take();
}

void WriteIds(HttpResponse& res, const std::vector<ScoredId>& items) {
  JsonWriter w(std::move(res.body));
  w.BeginArray();
  for (const auto& item : items) w.String(item.id);
  w.EndArray();
  res.body = w.Take();
}

namespace {

ingest::GorseJsonParser& ThreadParser() {
  thread_local ingest::GorseJsonParser parser;
  return parser;
}

}  // namespace

ingest::GorseJsonParser& BodyParser(const Clock& clock, const DatabaseConfig& database) {
  ingest::GorseJsonParser& parser = ThreadParser();
  ingest::ParseOptions options = parser.options();
  options.default_timestamp = clock.NowMicros();
  options.latest_timestamp =
      ingest::LatestAcceptedTimestamp(options.default_timestamp, database.max_future_skew_seconds);
  parser.set_options(options);
  return parser;
}

bool ReleaseBodyParserBuffers(size_t max_bytes) {
  return ThreadParser().ReleaseBuffersAbove(max_bytes);
}

void WriteReloadReport(HttpResponse& res, const ReloadReport& report) {
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("status").String("reloaded");
  w.Key("model_version").String(FormatTimestamp(report.created));
  w.Key("snapshot_id").String(report.snapshot_id);
  w.Key("run_id").String(report.run_id);
  w.Key("selected_by").String(report.selected_by);
  w.Key("mode").String(VariantName(report.variant));
  w.Key("rollout").Double(report.rollout);
  w.Key("files").StringArray(report.files);
  w.Key("seconds").Double(report.seconds).EndObject();
  res.body = w.Take();
}


}  // namespace reco::api
