// Recommendation routes: Gorse's /api/recommend, /api/session/recommend, /api/popular,
// /api/latest, neighbours, and the operators' /similar and /recommend/detail. Each handler
// parses the request, calls the recommend service and writes the answer.
#include <cctype>

#include "api/api_service.h"
#include "api/params.h"
#include "api/responses.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

// Microseconds of one `unit` of a write-back-delay ('h', 'm' or 's'); `text` is the whole value.
Result<int64_t> DelayUnitMicros(std::string_view text, char unit) {
  if (unit == 'h') return 3600 * kMicrosPerSecond;
  if (unit == 'm') return 60 * kMicrosPerSecond;
  if (unit == 's') return kMicrosPerSecond;
  return InvalidArgument(
      "write-back-delay: unknown unit in \"" + std::string(text.substr(0, 32)) + "\"",
      "write-back-delay");
}

// Go-style durations as Gorse's write-back-delay uses them: "90s", "10m", "1h", "1h30m";
// a bare number is seconds. The written-back rows are dated now + delay, so the delay may be at
// most database.max_future_skew_seconds, like any other time in the future.
Result<int64_t> ParseDelayMicros(std::string_view text, int64_t max_seconds) {
  if (text.empty()) return int64_t{0};
  const int64_t max_us = max_seconds * kMicrosPerSecond;  // <= 10 years: no overflow
  int64_t total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start || i - start > 9) break;
    int64_t v = std::stoll(std::string(text.substr(start, i - start)));
    int64_t unit = kMicrosPerSecond;
    if (i < text.size()) {
      RECO_ASSIGN_OR_RETURN(unit, DelayUnitMicros(text, text[i++]));
    }
    total += v * unit;  // v < 1e9 and total <= max_us before: far below int64's limit
    if (total > max_us) {
      return InvalidArgument("write-back-delay \"" + std::string(text.substr(0, 32)) +
                                 "\" is longer than " + std::to_string(max_seconds) +
                                 " s (database.max_future_skew_seconds)",
                             "write-back-delay");
    }
    any = true;
  }
  if (!any || i != text.size()) {
    return InvalidArgument("write-back-delay must be a duration like 10m or 90s, got \"" +
                               std::string(text.substr(0, 32)) + "\"",
                           "write-back-delay");
  }
  return total;
}

void MarkDegraded(HttpResponse& res, const RecommendResult& result) {
  if (result.degraded.empty()) return;
  std::string value;
  for (const auto& reason : result.degraded) {
    if (!value.empty()) value.push_back(',');
    value += reason;
  }
  res.AddHeader("X-Reco-Degraded", value);
}

// The headers of a recommend answer: the scenario served (scenario requests), the model
// version and variant, the A/B experiments the user is in ("exp1=variantA,exp2=variantB", only
// when any applied) and the degraded reasons.
void WriteServedHeaders(HttpResponse& res, const service::RecommendResponse& served) {
  if (!served.scenario.empty()) res.AddHeader("X-Reco-Scenario", served.scenario);
  if (!served.policy.empty()) res.AddHeader("X-Reco-Policy", served.policy);
  res.AddHeader("X-Reco-Model-Version", served.model_version);
  res.AddHeader("X-Reco-Variant", VariantName(served.variant));
  if (!served.experiments.empty()) {
    std::string value;
    for (const experiment::Assignment& a : served.experiments) {
      if (!value.empty()) value.push_back(',');
      value += a.experiment_id;
      value.push_back('=');
      value += a.variant;
    }
    res.AddHeader("X-Reco-Experiments", value);
  }
  MarkDegraded(res, served.result);
}

// {"item_id", key: [{"item_id", "score"}], "model_version"} with "user_id" when `user` is set;
// model_version is the creation time of the snapshot that produced the list.
void WriteOperatorList(HttpResponse& res, std::string_view item, const std::string_view* user,
                       std::string_view key, const service::RecommendResponse& response) {
  MarkDegraded(res, response.result);
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("item_id").String(item);
  if (user != nullptr) w.Key("user_id").String(*user);
  w.Key(key).BeginArray();
  for (const auto& scored : response.result.items) {
    w.BeginObject()
        .Key("item_id")
        .String(scored.id)
        .Key("score")
        .Float(static_cast<float>(scored.score))
        .EndObject();
  }
  w.EndArray();
  w.Key("model_version").String(response.created_text()).EndObject();
  res.body = w.Take();
}

void WriteScoresOf(HttpResponse& res, const service::RecommendResponse& response) {
  MarkDegraded(res, response.result);
  WriteScores(res, response.result.items);
}

// The query parameters of GET /api/recommend/{user_id}[/{category}].
Result<service::RecommendRequest> ParseRecommend(const HttpRequest& req, const RecoConfig& config) {
  RECO_ASSIGN_OR_RETURN(PageParams page, ParseIdAndPage(req, "user_id", config.server.default_n,
                                                        config.server.max_n));
  service::RecommendRequest request{.request_id = req.request_id(),
                                    .user_id = req.Param("user_id"),
                                    .category = req.Param("category"),
                                    .n = page.n,
                                    .offset = page.offset};
  RECO_ASSIGN_OR_RETURN(request.write_back_delay,
                        ParseDelayMicros(req.Query("write-back-delay").value_or(""),
                                         config.database.max_future_skew_seconds));
  request.write_back_type = req.Query("write-back-type").value_or("");
  return request;
}

// ?exclude=a,b,c: item ids never served (empty entries are skipped; ScenarioService checks
// them).
std::vector<std::string_view> SplitExclude(std::string_view text) {
  std::vector<std::string_view> ids;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view id = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (!id.empty()) ids.push_back(id);
  }
  return ids;
}

// The query parameters a scenario reads, over those of the plain route.
Result<service::ScenarioRecommendRequest> ParseScenarioRecommend(const HttpRequest& req,
                                                                 service::RecommendRequest base) {
  service::ScenarioRecommendRequest request{.base = base};
  request.exclude = SplitExclude(req.Query("exclude").value_or(""));
  request.session = req.Query("session").value_or("");
  request.context_item = req.Query("item").value_or("");
  return request;
}

// GET /api/recommend/{user_id}?scenario=NAME: the plain route's body (ids), with the scenario
// served (an experiment's variant may serve another) and the model version in the headers.
void ServeScenario(service::ScenarioService* scenarios, std::string_view name,
                   const HttpRequest& req, HttpResponse& res, service::RecommendRequest base) {
  if (name.empty()) {
    return SetStatusError(res, InvalidArgument("scenario: must not be empty", "scenario"));
  }
  if (scenarios == nullptr) return SetJsonError(res, 503, "this server has no scenarios");
  auto request = ParseScenarioRecommend(req, base);
  if (!request.ok()) return SetStatusError(res, request.status());
  auto served = scenarios->Recommend(name, *request);
  if (!served.ok()) return SetStatusError(res, served.status());
  WriteServedHeaders(res, *served);
  WriteIds(res, served->result.items);
}

const std::vector<std::pair<std::string, std::string>> kPageQuery = {{"n", "number of items"},
                                                                     {"offset", "items to skip"}};
const std::vector<std::pair<std::string, std::string>> kPopularQuery = {
    {"n", "number of items"},
    {"offset", "items to skip"},
    {"window", "the hot items of a real-time window instead (realtime.windows, e.g. 1h, 24h, or "
               "decay; docs/realtime.md); 400 naming window when not configured"},
    {"user-id", "with window: leave out the items this user has given feedback to"}};

// GET /api/popular[/{category}]?window=: the hot list of a real-time window.
void ServeWindow(service::RealtimeService* realtime, std::string_view window,
                 const HttpRequest& req, HttpResponse& res, const PageParams& page) {
  if (realtime == nullptr) {
    return SetStatusError(res, InvalidArgument("window: this server has no real-time windows",
                                               "window"));
  }
  auto served = realtime->Popular({.request_id = req.request_id(),
                                   .name = window,
                                   .category = req.Param("category"),
                                   .user_id = req.Query("user-id").value_or(""),
                                   .n = page.n,
                                   .offset = page.offset});
  if (!served.ok()) return SetStatusError(res, served.status());
  WriteScores(res, served->result.items);
}

}  // namespace

void ApiService::AddRecommendRoutes(Router& r) {
  for (const char* pattern : {"/api/recommend/{user_id}", "/api/recommend/{user_id}/{category}"}) {
    Add(r,
        {.method = "GET",
         .pattern = pattern,
         .summary = "Recommend items to a user (item-CF over recent history; falls back to "
                    "popular, then latest). Returns item ids. Headers: X-Reco-Model-Version, "
                    "X-Reco-Variant, X-Reco-Scenario (with scenario), X-Reco-Experiments "
                    "(exp=variant,... when the user is in running A/B experiments), "
                    "X-Reco-Policy (explore: a new user's exploration mix).",
         .tag = "recommendation",
         .query = {{"n", "number of items (1..max_n)"},
                   {"offset", "items to skip"},
                   {"write-back-type", "insert this feedback type for the returned items"},
                   {"write-back-delay", "timestamp offset of the written-back feedback, e.g. 10m"},
                   {"scenario", "serve under this scenario (docs/scenarios.md); 404 when none"},
                   {"exclude", "with scenario: comma-separated item ids never served"},
                   {"session", "with scenario: pages of this session do not repeat items"},
                   {"item", "with scenario: the page's item (item-CF's newest history)"}},
         .response_schema = "string[]",
         .recommendation = true},
        [this](HttpRequest& req, HttpResponse& res) {
          auto request = ParseRecommend(req, *d_.config);
          if (!request.ok()) return SetStatusError(res, request.status());
          if (auto scenario = req.Query("scenario")) {
            return ServeScenario(d_.scenarios, *scenario, req, res, *request);
          }
          auto served = d_.recommend->Recommend(*request);
          if (!served.ok()) return SetStatusError(res, served.status());
          WriteServedHeaders(res, *served);
          WriteIds(res, served->result.items);
        });
  }
  AddSessionRoutes(r);
  AddPopularRoutes(r);
  AddNeighborRoutes(r);
  AddOperatorRecommendRoutes(r);
}

void ApiService::AddSessionRoutes(Router& r) {
  for (const char* pattern : {"/api/session/recommend", "/api/session/recommend/{category}"}) {
    Add(r,
        {.method = "POST",
         .pattern = pattern,
         .summary = "Recommend items for a session given as a list of feedback.",
         .tag = "recommendation",
         .query = kPageQuery,
         .request_schema = "Feedback[]",
         .response_schema = "Score[]",
         .recommendation = true},
        [this](HttpRequest& req, HttpResponse& res) {
          auto page = ParsePage(req, d_.config->server.default_n, d_.config->server.max_n);
          if (!page.ok()) return SetStatusError(res, page.status());
          auto rows = Parser().ParseArray<Feedback>(req.body());
          if (!rows.ok()) return SetStatusError(res, rows.status());
          WriteScoresOf(res, d_.recommend->SessionRecommend({.rows = std::move(rows).value(),
                                                             .category = req.Param("category"),
                                                             .n = page->n,
                                                             .offset = page->offset}));
        });
  }
}

void ApiService::AddPopularRoutes(Router& r) {
  for (bool latest : {false, true}) {
    for (bool by_category : {false, true}) {
      std::string pattern = latest ? "/api/latest" : "/api/popular";
      if (by_category) pattern += "/{category}";
      Add(r,
          {.method = "GET",
           .pattern = pattern,
           .summary = latest ? "Latest items (score = timestamp in seconds)."
                             : "Popular items (time-decayed positive feedback, live counters).",
           .tag = "recommendation",
           .query = latest ? kPageQuery : kPopularQuery,
           .response_schema = "Score[]",
           .recommendation = true},
          [this, latest](HttpRequest& req, HttpResponse& res) {
            auto page = ParsePage(req, d_.config->server.default_n, d_.config->server.max_n);
            if (!page.ok()) return SetStatusError(res, page.status());
            if (auto window = req.Query("window"); window && !latest) {
              return ServeWindow(d_.realtime, *window, req, res, *page);
            }
            service::ListRequest request{.request_id = req.request_id(),
                                         .category = req.Param("category"),
                                         .n = page->n,
                                         .offset = page->offset};
            WriteScoresOf(res,
                          latest ? d_.recommend->Latest(request) : d_.recommend->Popular(request));
          });
    }
  }
}

void ApiService::AddNeighborRoutes(Router& r) {
  for (const char* pattern :
       {"/api/item/{item_id}/neighbors", "/api/item/{item_id}/neighbors/{category}"}) {
    Add(r,
        {.method = "GET",
         .pattern = pattern,
         .summary = "Similar items: item-CF neighbours, or content neighbours (item vectors) "
                    "with ?source=content|text|supplied; auto (default) answers an item without "
                    "collaborative neighbours from its content. Header X-Reco-Source.",
         .tag = "recommendation",
         .query = {{"n", "number of items"},
                   {"offset", "items to skip"},
                   {"source", "auto (default), collaborative, content, text, supplied, clip"}},
         .response_schema = "Score[]",
         .recommendation = true},
        [this](HttpRequest& req, HttpResponse& res) {
          auto page =
              ParseIdAndPage(req, "item_id", d_.config->server.default_n, d_.config->server.max_n);
          if (!page.ok()) return SetStatusError(res, page.status());
          auto found = d_.recommend->ItemNeighbors({.id = req.Param("item_id"),
                                                    .category = req.Param("category"),
                                                    .n = page->n,
                                                    .offset = page->offset,
                                                    .source = req.Query("source").value_or("")});
          if (!found.ok()) {
            const StatusCode code = found.status().code();
            if (code == StatusCode::kInvalidArgument || code == StatusCode::kUnimplemented) {
              return SetStatusError(res, found.status());
            }
            // Like Gorse, an item without neighbours (or unknown) gives an empty list.
            return WriteScores(res, {});
          }
          if (!found->neighbor_source.empty()) res.AddHeader("X-Reco-Source", found->neighbor_source);
          WriteScoresOf(res, *found);
        });
  }
  AddUserNeighborRoute(r);
}

void ApiService::AddUserNeighborRoute(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/user/{user_id}/neighbors",
       .summary = "Similar users (shared positive items, cosine).",
       .tag = "recommendation",
       .query = {{"n", "number of users"}, {"offset", "users to skip"}},
       .response_schema = "Score[]",
       .recommendation = true},
      [this](HttpRequest& req, HttpResponse& res) {
        auto page =
            ParseIdAndPage(req, "user_id", d_.config->server.default_n, d_.config->server.max_n);
        if (!page.ok()) return SetStatusError(res, page.status());
        WriteScores(res, d_.recommend
                             ->UserNeighbors(
                                 {.id = req.Param("user_id"), .n = page->n, .offset = page->offset})
                             .result.items);
      });
}

void ApiService::AddOperatorRecommendRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/similar/{item_id}",
       .summary = "Similar items for the operators' tools.",
       .tag = "operators",
       .query = {{"top_n", "number of items (default 5)"}},
       .response_schema = "SimilarResponse",
       .recommendation = true},
      [this](HttpRequest& req, HttpResponse& res) {
        std::string_view item = req.Param("item_id");
        if (Status st = CheckId(item, "item_id"); !st.ok()) return SetStatusError(res, st);
        auto n = IntParam(req, "top_n", 5, 1, d_.config->server.max_n);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto found = d_.recommend->ItemNeighbors({.id = item, .n = *n});
        if (!found.ok()) return SetStatusError(res, found.status());
        WriteOperatorList(res, item, nullptr, "similar_items", *found);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/recommend/detail/{item_id}",
       .summary = "Recommendations for an item-detail page: the item's neighbours re-weighted "
                  "by the user's history, without what the user has seen.",
       .tag = "operators",
       .query = {{"user_id", "the viewing user (optional)"},
                 {"top_n", "number of items (default 5)"}},
       .response_schema = "DetailResponse",
       .recommendation = true},
      [this](HttpRequest& req, HttpResponse& res) {
        std::string_view item = req.Param("item_id");
        if (Status st = CheckId(item, "item_id"); !st.ok()) return SetStatusError(res, st);
        std::string_view user = req.Query("user_id").value_or("");
        if (user.size() > kMaxIdBytes) return SetStatusError(res, CheckId(user, "user_id"));
        auto n = IntParam(req, "top_n", 5, 1, d_.config->server.max_n);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto found = d_.recommend->ItemDetail({.id = item, .user_id = user, .n = *n});
        if (!found.ok()) return SetStatusError(res, found.status());
        WriteOperatorList(res, item, &user, "recommendations", *found);
      });
  AddPreviewRoute(r);
}

namespace {

void WritePreview(HttpResponse& res, std::string_view user_id,
                  const service::PreviewResponse& preview) {
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("user_id").String(user_id).Key("known_user").Bool(preview.known_user);
  w.Key("variant").String(VariantName(preview.variant));
  w.Key("model_version").String(preview.model_version);
  w.Key("recs_algorithm").String(preview.recs_algorithm);
  w.Key("degraded").StringArray(preview.degraded);
  w.Key("items").BeginArray();
  for (const service::PreviewItem& entry : preview.items) {
    w.BeginObject().Key("id").String(entry.scored.id).Key("score").Double(entry.scored.score);
    w.Key("source").String(entry.source).Key("item");
    if (entry.item) {
      ingest::WriteItem(w, *entry.item);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray().Key("history").BeginArray();
  for (const Feedback& f : preview.history) ingest::WriteFeedback(w, f);
  w.EndArray().EndObject();
  res.body = w.Take();
}

}  // namespace

void ApiService::AddPreviewRoute(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/preview/{user_id}",
       .summary = "What a user would be recommended now, for the operators: each item with its "
                  "catalogue entry and the step that supplied it (precomputed, itemcf, "
                  "category_popular, popular, latest), the degraded reasons and the user's "
                  "newest feedback. Not logged as an exposure, not counted in the metrics.",
       .tag = "operators",
       .query = {{"n", "number of items (default server.default_n)"},
                 {"category", "only items of this category"}},
       .response_schema = "object"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (d_.preview == nullptr) return SetJsonError(res, 503, "no preview in this server", "");
        std::string_view user = req.Param("user_id");
        if (Status st = CheckId(user, "user_id"); !st.ok()) return SetStatusError(res, st);
        auto n = IntParam(req, "n", d_.config->server.default_n, 1, d_.config->server.max_n);
        if (!n.ok()) return SetStatusError(res, n.status());
        std::string_view category = req.Query("category").value_or("");
        Result<service::PreviewResponse> preview =
            d_.preview->Preview({.user_id = user, .category = category, .n = *n});
        if (!preview.ok()) return SetStatusError(res, preview.status());
        WritePreview(res, user, *preview);
      });
}

}  // namespace reco::api
