// Recommendation routes: Gorse's /api/recommend, /api/session/recommend, /api/popular,
// /api/latest, neighbours, and the operators' /similar and /recommend/detail.
#include <cctype>

#include "api/api_service.h"
#include "api/params.h"
#include "api/responses.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

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
      char u = text[i++];
      if (u == 'h')
        unit = 3600 * kMicrosPerSecond;
      else if (u == 'm')
        unit = 60 * kMicrosPerSecond;
      else if (u == 's')
        unit = kMicrosPerSecond;
      else
        return InvalidArgument(
            "write-back-delay: unknown unit in \"" + std::string(text.substr(0, 32)) + "\"",
            "write-back-delay");
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

void WriteOperatorList(JsonWriter& w, std::string_view key, const RecommendResult& result) {
  w.Key(key).BeginArray();
  for (const auto& item : result.items) {
    w.BeginObject()
        .Key("item_id")
        .String(item.id)
        .Key("score")
        .Float(static_cast<float>(item.score))
        .EndObject();
  }
  w.EndArray();
}

}  // namespace

void ApiService::AddRecommendRoutes(Router& r) {
  const int default_n = d_.config->server.default_n;
  const int max_n = d_.config->server.max_n;
  for (const char* pattern : {"/api/recommend/{user_id}", "/api/recommend/{user_id}/{category}"}) {
    Add(r,
        {.method = "GET",
         .pattern = pattern,
         .summary = "Recommend items to a user (item-CF over recent history; falls back to "
                    "popular, then latest). Returns item ids.",
         .tag = "recommendation",
         .query = {{"n", "number of items (1..max_n)"},
                   {"offset", "items to skip"},
                   {"write-back-type", "insert this feedback type for the returned items"},
                   {"write-back-delay", "timestamp offset of the written-back feedback, e.g. 10m"}},
         .response_schema = "string[]",
         .recommendation = true},
        [this, default_n, max_n](HttpRequest& req, HttpResponse& res) {
          auto page = ParseIdAndPage(req, "user_id", default_n, max_n);
          if (!page.ok()) return SetStatusError(res, page.status());
          std::string_view user = req.Param("user_id");
          auto delay = ParseDelayMicros(req.Query("write-back-delay").value_or(""),
                                        d_.config->database.max_future_skew_seconds);
          if (!delay.ok()) return SetStatusError(res, delay.status());
          RecommendResult result;
          if (d_.rollout != nullptr) {
            Rollout::Served served = d_.rollout->Recommend(
                req.request_id(), user, req.Param("category"), page->n, page->offset);
            res.AddHeader("X-Reco-Model-Version", served.model_version);
            res.AddHeader("X-Reco-Variant", VariantName(served.variant));
            result = std::move(served.result);
          } else {
            result = d_.recommender->Recommend(user, req.Param("category"), page->n, page->offset);
          }
          if (auto type = req.Query("write-back-type"); type && !type->empty()) {
            std::vector<Feedback> rows;
            TimestampUs ts = d_.clock->NowMicros() + *delay;
            for (const auto& item : result.items) {
              rows.push_back({std::string(*type), std::string(user), item.id, 1.0, ts, ""});
            }
            auto n = d_.store->InsertFeedback(rows, InsertFeedbackOptions{.overwrite = true});
            if (!n.ok()) return SetStatusError(res, n.status());
            d_.state->ApplyFeedback(rows);
          }
          MarkDegraded(res, result);
          WriteIds(res, result.items);
        });
  }
  for (const char* pattern : {"/api/session/recommend", "/api/session/recommend/{category}"}) {
    Add(r,
        {.method = "POST",
         .pattern = pattern,
         .summary = "Recommend items for a session given as a list of feedback.",
         .tag = "recommendation",
         .query = {{"n", "number of items"}, {"offset", "items to skip"}},
         .request_schema = "Feedback[]",
         .response_schema = "Score[]",
         .recommendation = true},
        [this, default_n, max_n](HttpRequest& req, HttpResponse& res) {
          auto page = ParsePage(req, default_n, max_n);
          if (!page.ok()) return SetStatusError(res, page.status());
          auto rows = BodyParser(*d_.clock, d_.config->database).ParseArray<Feedback>(req.body());
          if (!rows.ok()) return SetStatusError(res, rows.status());
          std::stable_sort(rows->begin(), rows->end(), [](const Feedback& a, const Feedback& b) {
            return a.timestamp < b.timestamp;
          });
          std::vector<std::string> positive, seen;
          for (const auto& f : *rows) {
            seen.push_back(f.item_id);
            if (d_.state->KindOf(f.feedback_type) == FeedbackKind::kPositive) {
              positive.push_back(f.item_id);
            }
          }
          RecommendResult result = d_.recommender->SessionRecommend(
              positive, seen, req.Param("category"), page->n, page->offset);
          MarkDegraded(res, result);
          WriteScores(res, result.items);
        });
  }
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
           .query = {{"n", "number of items"}, {"offset", "items to skip"}},
           .response_schema = "Score[]",
           .recommendation = true},
          [this, latest, default_n, max_n](HttpRequest& req, HttpResponse& res) {
            auto page = ParsePage(req, default_n, max_n);
            if (!page.ok()) return SetStatusError(res, page.status());
            std::string_view category = req.Param("category");
            RecommendResult result = latest
                                         ? d_.recommender->Latest(category, page->n, page->offset)
                                         : d_.recommender->Popular(category, page->n, page->offset);
            if (d_.rollout != nullptr) {
              std::string scenario = latest ? "latest" : "popular";
              if (!category.empty()) scenario += "/" + std::string(category);
              d_.rollout->RecordServed(req.request_id(), "", scenario, result);
            }
            MarkDegraded(res, result);
            WriteScores(res, result.items);
          });
    }
  }
  for (const char* pattern :
       {"/api/item/{item_id}/neighbors", "/api/item/{item_id}/neighbors/{category}"}) {
    Add(r,
        {.method = "GET",
         .pattern = pattern,
         .summary = "Similar items (item-CF neighbours).",
         .tag = "recommendation",
         .query = {{"n", "number of items"}, {"offset", "items to skip"}},
         .response_schema = "Score[]",
         .recommendation = true},
        [this, default_n, max_n](HttpRequest& req, HttpResponse& res) {
          auto page = ParseIdAndPage(req, "item_id", default_n, max_n);
          if (!page.ok()) return SetStatusError(res, page.status());
          std::string_view item = req.Param("item_id");
          auto result = d_.recommender->Similar(item, req.Param("category"), page->n, page->offset);
          // Like Gorse, an item without neighbours (or unknown) gives an empty list.
          if (!result.ok()) return WriteScores(res, {});
          MarkDegraded(res, *result);
          WriteScores(res, result->items);
        });
  }
  Add(r,
      {.method = "GET",
       .pattern = "/api/user/{user_id}/neighbors",
       .summary = "Similar users (shared positive items, cosine).",
       .tag = "recommendation",
       .query = {{"n", "number of users"}, {"offset", "users to skip"}},
       .response_schema = "Score[]",
       .recommendation = true},
      [this, default_n, max_n](HttpRequest& req, HttpResponse& res) {
        auto page = ParseIdAndPage(req, "user_id", default_n, max_n);
        if (!page.ok()) return SetStatusError(res, page.status());
        std::string_view user = req.Param("user_id");
        WriteScores(res, d_.recommender->UserNeighbors(user, page->n, page->offset).items);
      });
  AddOperatorRecommendRoutes(r);
}

void ApiService::AddOperatorRecommendRoutes(Router& r) {
  const int max_n = d_.config->server.max_n;
  Add(r,
      {.method = "GET",
       .pattern = "/similar/{item_id}",
       .summary = "Similar items for the operators' tools.",
       .tag = "operators",
       .query = {{"top_n", "number of items (default 5)"}},
       .response_schema = "SimilarResponse",
       .recommendation = true},
      [this, max_n](HttpRequest& req, HttpResponse& res) {
        std::string_view item = req.Param("item_id");
        if (Status st = CheckId(item, "item_id"); !st.ok()) return SetStatusError(res, st);
        auto n = IntParam(req, "top_n", 5, 1, max_n);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto result = d_.recommender->Similar(item, "", *n, 0);
        if (!result.ok()) return SetStatusError(res, result.status());
        MarkDegraded(res, *result);
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("item_id").String(item);
        WriteOperatorList(w, "similar_items", *result);
        w.Key("model_version").String(ModelVersion()).EndObject();
        res.body = w.Take();
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
      [this, max_n](HttpRequest& req, HttpResponse& res) {
        std::string_view item = req.Param("item_id");
        if (Status st = CheckId(item, "item_id"); !st.ok()) return SetStatusError(res, st);
        std::string_view user = req.Query("user_id").value_or("");
        if (user.size() > kMaxIdBytes) return SetStatusError(res, CheckId(user, "user_id"));
        auto n = IntParam(req, "top_n", 5, 1, max_n);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto result = d_.recommender->ItemDetail(item, user, *n);
        if (!result.ok()) return SetStatusError(res, result.status());
        MarkDegraded(res, *result);
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("item_id").String(item).Key("user_id").String(user);
        WriteOperatorList(w, "recommendations", *result);
        w.Key("model_version").String(ModelVersion()).EndObject();
        res.body = w.Take();
      });
}

std::string ApiService::ModelVersion() const {
  auto bundle = d_.models->bundles().Get();
  return bundle == nullptr ? std::string() : bundle->created_text();
}

}  // namespace reco::api
