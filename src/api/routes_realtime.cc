// Real-time window routes (docs/realtime.md): Gorse's named non-personalized lists and the
// real-time analytics report. GET /api/popular?window= is in routes_recommend.cc beside the plain
// popular list. The logic is in service/realtime_service; a handler parses, calls it, writes.
#include "api/api_service.h"
#include "api/params.h"
#include "api/responses.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

void WriteRealtimeRow(JsonWriter& w, const RealtimeRow& row) {
  w.Key("impressions").Double(row.impressions).Key("clicks").Double(row.clicks);
  w.Key("ctr").Double(row.ctr());
}

void WriteReport(HttpResponse& res, const RealtimeReport& r) {
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("window").String(r.window).Key("by").String(RealtimeDimensionName(r.by));
  w.Key("now").Timestamp(r.now);
  if (r.window == "decay") {
    w.Key("half_life_seconds").Int(r.half_life_s);
  } else {
    w.Key("from").Timestamp(r.from).Key("bucket_seconds").Int(r.bucket_s);
  }
  w.Key("keys").Int(static_cast<int64_t>(r.keys));
  w.Key("totals").BeginObject();
  WriteRealtimeRow(w, r.totals);
  w.EndObject().Key("rows").BeginArray();
  for (const RealtimeRow& row : r.rows) {
    w.BeginObject().Key("key").String(row.key);
    WriteRealtimeRow(w, row);
    w.EndObject();
  }
  w.EndArray().EndObject();
  res.body = w.Take();
}

}  // namespace

void ApiService::AddRealtimeRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/non-personalized/{name}",
       .summary = "A leaderboard of realtime.leaderboards: the items of the highest count (or "
                  "decayed score) of its feedback types in its window (docs/realtime.md).",
       .tag = "recommendation",
       .query = {{"n", "number of items (1..max_n)"},
                 {"offset", "items to skip"},
                 {"category", "only items of this category"},
                 {"user-id", "leave out the items this user has given feedback to"}},
       .response_schema = "Score[]",
       .recommendation = true},
      [this](HttpRequest& req, HttpResponse& res) {
        auto page = ParsePage(req, d_.config->server.default_n, d_.config->server.max_n);
        if (!page.ok()) return SetStatusError(res, page.status());
        auto served = d_.realtime->NonPersonalized(
            {.request_id = req.request_id(),
             .name = req.Param("name"),
             .category = req.Query("category").value_or(""),
             .user_id = req.Query("user-id").value_or(""),
             .n = page->n,
             .offset = page->offset});
        if (!served.ok()) return SetStatusError(res, served.status());
        WriteScores(res, served->result.items);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/analytics/realtime",
       .summary = "Impressions, clicks and CTR over a sliding window (or the decayed counts), "
                  "by item, model version or scenario, as of now (docs/realtime.md).",
       .tag = "analytics",
       .query = {{"window", "a window of realtime.windows (e.g. 1h, 24h) or decay; default the "
                            "first window"},
                 {"by", "item (default), model_version or scenario"},
                 {"n", "rows returned, 1..10000 (default 100); totals cover every key"}},
       .response_schema = "RealtimeReport"},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<int> n = IntParam(req, "n", 100, 1, 10000);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto report = d_.realtime->Report(req.Query("window").value_or(""),
                                          req.Query("by").value_or(""), static_cast<size_t>(*n));
        if (!report.ok()) return SetStatusError(res, report.status());
        WriteReport(res, *report);
      });
}

}  // namespace reco::api
