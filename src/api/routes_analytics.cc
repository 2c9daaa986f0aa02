// Analytics routes: summaries, top items and coverage of the tenant's served lists
// (docs/analytics.md). The logic is in service/analytics_service; a handler parses the query,
// calls it and writes the answer. They read files and scan the store: they run on the server's
// blocking pool.
#include "api/api_service.h"
#include "api/params.h"
#include "api/responses.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

// "a,b,,c" -> {"a", "b", "c"}.
std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = text.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = comma + 1;
  }
  return out;
}

std::string QueryText(const HttpRequest& req, std::string_view name) {
  return std::string(req.Query(name).value_or(""));
}

service::AnalyticsRange ParseRange(const HttpRequest& req) {
  return {.from = QueryText(req, "from"),
          .to = QueryText(req, "to"),
          .click_types = SplitList(QueryText(req, "click_types")),
          .conversion_types = SplitList(QueryText(req, "conversion_types")),
          .scenario = QueryText(req, "scenario")};
}

const std::vector<std::pair<std::string, std::string>> kRangeQuery = {
    {"from", "start of the window: RFC 3339 (a '+' offset as %2B) or a date; default to - 7 days"},
    {"to", "end of the window, exclusive; a date includes its day; default now"},
    {"scenario", "only the lists served for this scenario"},
};

void WriteBasis(JsonWriter& w, const service::AnalyticsBasis& b) {
  w.Key("window").BeginObject().Key("from").Timestamp(b.from).Key("to").Timestamp(b.to);
  w.EndObject();
  w.Key("click_types").StringArray(b.click_types);
  w.Key("conversion_types").StringArray(b.conversion_types);
  w.Key("click_window_seconds").Double(static_cast<double>(b.click_window_us) / kMicrosPerSecond);
  w.Key("log").BeginObject().Key("files").Int(b.files).Key("skipped_files").Int(b.skipped_files);
  w.Key("lines").Int(b.lines).Key("bad_lines").Int(b.bad_lines).EndObject();
}

void WriteCounts(JsonWriter& w, const service::AnalyticsCounts& c) {
  w.Key("exposures").Int(c.exposures).Key("exposed_users").Int(c.exposed_users);
  w.Key("impressions").Int(c.impressions).Key("clicks").Int(c.clicks);
  w.Key("clicked_items").Int(c.clicked_items).Key("ctr").Double(c.ctr());
  w.Key("item_ctr").Double(c.item_ctr()).Key("conversions").Int(c.conversions);
}

void WriteSummary(HttpResponse& res, const service::AnalyticsSummary& s) {
  JsonWriter w(std::move(res.body));
  w.BeginObject();
  WriteBasis(w, s.basis);
  w.Key("group_by").StringArray(s.columns);
  w.Key("rows").BeginArray();
  for (const auto& row : s.rows) {
    w.BeginObject();
    for (size_t i = 0; i < row.values.size(); ++i) w.Key(s.columns[i]).String(row.values[i]);
    WriteCounts(w, row.counts);
    w.EndObject();
  }
  w.EndArray();
  w.Key("totals").BeginObject();
  WriteCounts(w, s.totals);
  w.EndObject().EndObject();
  res.body = w.Take();
}

void WriteTop(HttpResponse& res, const service::TopItems& t) {
  JsonWriter w(std::move(res.body));
  w.BeginObject();
  WriteBasis(w, t.basis);
  w.Key("by").String(t.by).Key("items").BeginArray();
  for (const auto& i : t.items) {
    w.BeginObject().Key("item_id").String(i.item_id).Key("exposures").Int(i.exposures);
    w.Key("clicks").Int(i.clicks).Key("ctr").Double(i.ctr).EndObject();
  }
  w.EndArray().EndObject();
  res.body = w.Take();
}

void WriteCoverage(HttpResponse& res, const service::Coverage& c) {
  JsonWriter w(std::move(res.body));
  w.BeginObject();
  WriteBasis(w, c.basis);
  w.Key("catalogue_items").Int(c.catalogue_items).Key("exposed_items").Int(c.exposed_items);
  w.Key("exposed_catalogue_items").Int(c.exposed_catalogue_items);
  w.Key("coverage").Double(c.coverage).Key("impressions").Int(c.impressions);
  w.Key("gini").Double(c.gini).Key("top_items").Int(c.top_items);
  w.Key("top_share").Double(c.top_share).EndObject();
  res.body = w.Take();
}

}  // namespace

void ApiService::AddAnalyticsRoutes(Router& r) {
  auto query = kRangeQuery;
  query.insert(query.begin(), {"group_by",
                               "comma-separated dimensions: scenario, model_version, variant, "
                               "experiment (id and variant), day; none = one row of totals"});
  query.push_back({"click_types",
                   "comma-separated feedback types counted as clicks; default "
                   "the positive feedback types"});
  query.push_back({"conversion_types",
                   "comma-separated feedback types counted as conversions; "
                   "default none"});
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/analytics/summary",
       .summary = "Lists served, users, impressions, clicks, CTR, item CTR and conversions of a "
                  "time window, grouped by the dimensions of group_by (docs/analytics.md).",
       .tag = "analytics",
       .query = query,
       .response_schema = "AnalyticsSummary",
       .blocking = true},
      [this](HttpRequest& req, HttpResponse& res) {
        auto summary =
            d_.analytics->Summary(SplitList(QueryText(req, "group_by")), ParseRange(req));
        if (!summary.ok()) return SetStatusError(res, summary.status());
        WriteSummary(res, *summary);
      });
  auto top_query = kRangeQuery;
  top_query.push_back({"by", "exposures (default), clicks or ctr"});
  top_query.push_back({"n", "items returned, 1..1000 (default 10)"});
  top_query.push_back({"click_types", "as for /api/v1/analytics/summary"});
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/analytics/top-items",
       .summary = "The items most shown, most clicked or of the highest CTR in a time window.",
       .tag = "analytics",
       .query = top_query,
       .response_schema = "AnalyticsTopItems",
       .blocking = true},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<int> n = IntParam(req, "n", 10, 1, 1000);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto top = d_.analytics->Top(QueryText(req, "by"), *n, ParseRange(req));
        if (!top.ok()) return SetStatusError(res, top.status());
        WriteTop(res, *top);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/analytics/coverage",
       .summary = "Catalogue coverage of a time window: items shown among the items not hidden, "
                  "the Gini index of impressions over items, the share of the top 1 %.",
       .tag = "analytics",
       .query = kRangeQuery,
       .response_schema = "AnalyticsCoverage",
       .blocking = true},
      [this](HttpRequest& req, HttpResponse& res) {
        auto coverage = d_.analytics->CatalogueCoverage(ParseRange(req));
        if (!coverage.ok()) return SetStatusError(res, coverage.status());
        WriteCoverage(res, *coverage);
      });
}

}  // namespace reco::api
