// Gorse's data routes: users, items, feedback.
#include <span>

#include "api/api_service.h"
#include "api/params.h"
#include "api/responses.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

constexpr size_t kMaxFeedbackListed = 100000;

Result<std::vector<Feedback>> AllFeedback(Store& store, const FeedbackFilter& filter) {
  std::vector<Feedback> out;
  std::string cursor;
  do {
    RECO_ASSIGN_OR_RETURN(Page<Feedback> page, store.ListFeedback(filter, cursor, 1000));
    for (auto& f : page.rows) out.push_back(std::move(f));
    cursor = std::move(page.next_cursor);
  } while (!cursor.empty() && out.size() < kMaxFeedbackListed);
  return out;
}

void WriteFeedbackArray(HttpResponse& res, const std::vector<Feedback>& rows) {
  JsonWriter w(std::move(res.body));
  w.BeginArray();
  for (const auto& f : rows) ingest::WriteFeedback(w, f);
  w.EndArray();
  res.body = w.Take();
}

Status CheckParams(const HttpRequest& req, std::initializer_list<const char*> names) {
  for (const char* name : names) RECO_RETURN_IF_ERROR(CheckId(req.Param(name), name));
  return Status::Ok();
}

// Path ids of the feedback filter routes: non-empty and at most kMaxIdBytes.
Status CheckFilterParams(const HttpRequest& req, bool type, bool user, bool item) {
  if (type) RECO_RETURN_IF_ERROR(CheckId(req.Param("feedback_type"), "feedback_type"));
  if (user) RECO_RETURN_IF_ERROR(CheckId(req.Param("user_id"), "user_id"));
  if (item) RECO_RETURN_IF_ERROR(CheckId(req.Param("item_id"), "item_id"));
  return Status::Ok();
}

}  // namespace

void ApiService::AddUserRoutes(Router& r) {
  Add(r,
      {.method = "POST",
       .pattern = "/api/user",
       .summary = "Insert or replace a user.",
       .tag = "user",
       .request_schema = "User",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto user = BodyParser(*d_.clock, d_.config->database).ParseObject<User>(req.body());
        if (!user.ok()) return SetStatusError(res, user.status());
        auto n = d_.store->InsertUsers(std::span<const User>(&*user, 1));
        if (!n.ok()) return SetStatusError(res, n.status());
        d_.state->UpsertUser(user->user_id);
        WriteRowAffected(res, *n);
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/users",
       .summary = "Insert or replace users (atomic batch).",
       .tag = "user",
       .request_schema = "User[]",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto users = BodyParser(*d_.clock, d_.config->database).ParseArray<User>(req.body());
        if (!users.ok()) return SetStatusError(res, users.status());
        auto n = d_.store->InsertUsers(*users);
        if (!n.ok()) return SetStatusError(res, n.status());
        for (const auto& u : *users) d_.state->UpsertUser(u.user_id);
        WriteRowAffected(res, *n);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/user/{user_id}",
       .summary = "Get a user.",
       .tag = "user",
       .response_schema = "User"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"user_id"}); !st.ok()) return SetStatusError(res, st);
        auto user = d_.store->GetUser(req.Param("user_id"));
        if (!user.ok()) return SetStatusError(res, user.status());
        JsonWriter w(std::move(res.body));
        ingest::WriteUser(w, *user);
        res.body = w.Take();
      });
  Add(r,
      {.method = "PATCH",
       .pattern = "/api/user/{user_id}",
       .summary = "Modify a user.",
       .tag = "user",
       .request_schema = "UserPatch",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"user_id"}); !st.ok()) return SetStatusError(res, st);
        auto patch = ingest::ParseUserPatch(req.body());
        if (!patch.ok()) return SetStatusError(res, patch.status());
        auto n = d_.store->ModifyUser(req.Param("user_id"), *patch);
        if (!n.ok()) return SetStatusError(res, n.status());
        WriteRowAffected(res, *n);
      });
  Add(r,
      {.method = "DELETE",
       .pattern = "/api/user/{user_id}",
       .summary = "Delete a user and its feedback.",
       .tag = "user",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"user_id"}); !st.ok()) return SetStatusError(res, st);
        auto n = d_.store->DeleteUser(req.Param("user_id"));
        if (!n.ok()) return SetStatusError(res, n.status());
        d_.state->DeleteUser(req.Param("user_id"));
        WriteRowAffected(res, *n);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/users",
       .summary = "List users with a cursor.",
       .tag = "user",
       .query = {{"n", "page size"}, {"cursor", "from the previous page"}},
       .response_schema = "UserCursor"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto n = IntParam(req, "n", d_.config->server.default_n, 1, d_.config->server.max_n);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto page = d_.store->ListUsers(req.Query("cursor").value_or(""), *n);
        if (!page.ok()) return SetStatusError(res, page.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("Cursor").String(page->next_cursor).Key("Users").BeginArray();
        for (const auto& u : page->rows) ingest::WriteUser(w, u);
        w.EndArray().EndObject();
        res.body = w.Take();
      });
}

void ApiService::AddItemRoutes(Router& r) {
  Add(r,
      {.method = "POST",
       .pattern = "/api/item",
       .summary = "Insert or replace an item.",
       .tag = "item",
       .request_schema = "Item",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto item = BodyParser(*d_.clock, d_.config->database).ParseObject<Item>(req.body());
        if (!item.ok()) return SetStatusError(res, item.status());
        auto n = d_.store->InsertItems(std::span<const Item>(&*item, 1));
        if (!n.ok()) return SetStatusError(res, n.status());
        d_.state->UpsertItem(*item);
        WriteRowAffected(res, *n);
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/items",
       .summary = "Insert or replace items (atomic batch).",
       .tag = "item",
       .request_schema = "Item[]",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto items = BodyParser(*d_.clock, d_.config->database).ParseArray<Item>(req.body());
        if (!items.ok()) return SetStatusError(res, items.status());
        auto n = d_.store->InsertItems(*items);
        if (!n.ok()) return SetStatusError(res, n.status());
        for (const auto& item : *items) d_.state->UpsertItem(item);
        WriteRowAffected(res, *n);
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/item/{item_id}",
       .summary = "Get an item.",
       .tag = "item",
       .response_schema = "Item"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"item_id"}); !st.ok()) return SetStatusError(res, st);
        auto item = d_.store->GetItem(req.Param("item_id"));
        if (!item.ok()) return SetStatusError(res, item.status());
        JsonWriter w(std::move(res.body));
        ingest::WriteItem(w, *item);
        res.body = w.Take();
      });
  Add(r,
      {.method = "PATCH",
       .pattern = "/api/item/{item_id}",
       .summary = "Modify an item.",
       .tag = "item",
       .request_schema = "ItemPatch",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"item_id"}); !st.ok()) return SetStatusError(res, st);
        auto patch = BodyParser(*d_.clock, d_.config->database).ParseObject<ItemPatch>(req.body());
        if (!patch.ok()) return SetStatusError(res, patch.status());
        auto n = d_.store->ModifyItem(req.Param("item_id"), *patch);
        if (!n.ok()) return SetStatusError(res, n.status());
        d_.state->PatchItem(req.Param("item_id"), *patch);
        WriteRowAffected(res, *n);
      });
  Add(r,
      {.method = "DELETE",
       .pattern = "/api/item/{item_id}",
       .summary = "Delete an item and its feedback.",
       .tag = "item",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"item_id"}); !st.ok()) return SetStatusError(res, st);
        auto n = d_.store->DeleteItem(req.Param("item_id"));
        if (!n.ok()) return SetStatusError(res, n.status());
        d_.state->DeleteItem(req.Param("item_id"));
        WriteRowAffected(res, *n);
      });
  for (const char* method : {"PUT", "DELETE"}) {
    bool add = std::string_view(method) == "PUT";
    Add(r,
        {.method = method,
         .pattern = "/api/item/{item_id}/category/{category}",
         .summary = add ? "Add a category to an item." : "Remove a category from an item.",
         .tag = "item",
         .response_schema = "RowAffected"},
        [this, add](HttpRequest& req, HttpResponse& res) {
          if (Status st = CheckParams(req, {"item_id", "category"}); !st.ok()) {
            return SetStatusError(res, st);
          }
          std::string_view id = req.Param("item_id");
          auto n = add ? d_.store->AddItemCategory(id, req.Param("category"))
                       : d_.store->RemoveItemCategory(id, req.Param("category"));
          if (!n.ok()) return SetStatusError(res, n.status());
          auto item = d_.store->GetItem(id);
          if (item.ok()) d_.state->SetItemCategories(id, item->categories);
          WriteRowAffected(res, *n);
        });
  }
  Add(r,
      {.method = "GET",
       .pattern = "/api/items",
       .summary = "List items with a cursor.",
       .tag = "item",
       .query = {{"n", "page size"}, {"cursor", "from the previous page"}},
       .response_schema = "ItemCursor"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto n = IntParam(req, "n", d_.config->server.default_n, 1, d_.config->server.max_n);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto page = d_.store->ListItems(req.Query("cursor").value_or(""), *n);
        if (!page.ok()) return SetStatusError(res, page.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("Cursor").String(page->next_cursor).Key("Items").BeginArray();
        for (const auto& item : page->rows) ingest::WriteItem(w, item);
        w.EndArray().EndObject();
        res.body = w.Take();
      });
}

void ApiService::AddFeedbackRoutes(Router& r) {
  for (const char* method : {"POST", "PUT"}) {
    bool overwrite = std::string_view(method) == "PUT";
    Add(r,
        {.method = method,
         .pattern = "/api/feedback",
         .summary = overwrite ? "Upsert feedback: existing (type, user, item) rows are replaced."
                              : "Insert feedback: existing (type, user, item) rows are kept.",
         .tag = "feedback",
         .request_schema = "Feedback[]",
         .response_schema = "RowAffected"},
        [this, overwrite](HttpRequest& req, HttpResponse& res) {
          auto rows = BodyParser(*d_.clock, d_.config->database).ParseArray<Feedback>(req.body());
          if (!rows.ok()) return SetStatusError(res, rows.status());
          InsertFeedbackOptions options;
          options.overwrite = overwrite;
          options.auto_insert_users = d_.config->database.auto_insert_user;
          options.auto_insert_items = d_.config->database.auto_insert_item;
          auto n = d_.store->InsertFeedback(*rows, options);
          if (!n.ok()) return SetStatusError(res, n.status());
          static const char* kKindNames[] = {"other", "positive", "read", "negative"};
          std::array<int64_t, 4> by_kind{};
          d_.state->ApplyFeedback(*rows);
          if (d_.rollout != nullptr) d_.rollout->OnFeedback(*rows);
          for (const auto& f : *rows) {
            ++by_kind[static_cast<size_t>(d_.state->KindOf(f.feedback_type))];
          }
          for (size_t k = 0; k < by_kind.size(); ++k) {
            if (by_kind[k] > 0) {
              feedback_ingested_->WithLabels({kKindNames[k]})->Add(static_cast<double>(by_kind[k]));
            }
          }
          WriteRowAffected(res, *n);
        });
  }
  auto list_route = [this](const char* pattern, const char* summary, bool by_type) {
    return std::make_pair(
        RouteDoc{.method = "GET",
                 .pattern = pattern,
                 .summary = summary,
                 .tag = "feedback",
                 .query = {{"n", "page size"}, {"cursor", "from the previous page"}},
                 .response_schema = "FeedbackCursor"},
        HttpHandler([this, by_type](HttpRequest& req, HttpResponse& res) {
          if (Status st = CheckFilterParams(req, by_type, false, false); !st.ok()) {
            return SetStatusError(res, st);
          }
          auto n = IntParam(req, "n", d_.config->server.default_n, 1, d_.config->server.max_n);
          if (!n.ok()) return SetStatusError(res, n.status());
          FeedbackFilter filter;
          if (by_type) filter.feedback_type = std::string(req.Param("feedback_type"));
          auto page = d_.store->ListFeedback(filter, req.Query("cursor").value_or(""), *n);
          if (!page.ok()) return SetStatusError(res, page.status());
          JsonWriter w(std::move(res.body));
          w.BeginObject().Key("Cursor").String(page->next_cursor).Key("Feedback").BeginArray();
          for (const auto& f : page->rows) ingest::WriteFeedback(w, f);
          w.EndArray().EndObject();
          res.body = w.Take();
        }));
  };
  auto [all_doc, all_handler] = list_route("/api/feedback", "List feedback with a cursor.", false);
  Add(r, all_doc, all_handler);
  auto [type_doc, type_handler] =
      list_route("/api/feedback/{feedback_type}", "List feedback of one type with a cursor.", true);
  Add(r, type_doc, type_handler);

  // Array routes: every feedback row matching the path's filter.
  struct FilterRoute {
    const char* pattern;
    const char* summary;
    bool type, user, item;
  };
  const FilterRoute filter_routes[] = {
      {"/api/feedback/{user_id}/{item_id}", "Feedback between a user and an item.", false, true,
       true},
      {"/api/user/{user_id}/feedback", "Feedback of a user.", false, true, false},
      {"/api/user/{user_id}/feedback/{feedback_type}", "Feedback of a user, one type.", true, true,
       false},
      {"/api/item/{item_id}/feedback", "Feedback on an item.", false, false, true},
      {"/api/item/{item_id}/feedback/{feedback_type}", "Feedback on an item, one type.", true,
       false, true},
  };
  auto make_filter = [](const HttpRequest& req, bool type, bool user, bool item) {
    FeedbackFilter f;
    if (type) f.feedback_type = std::string(req.Param("feedback_type"));
    if (user) f.user_id = std::string(req.Param("user_id"));
    if (item) f.item_id = std::string(req.Param("item_id"));
    return f;
  };
  for (const FilterRoute& fr : filter_routes) {
    Add(r,
        {.method = "GET",
         .pattern = fr.pattern,
         .summary = fr.summary,
         .tag = "feedback",
         .response_schema = "Feedback[]"},
        [this, fr, make_filter](HttpRequest& req, HttpResponse& res) {
          if (Status st = CheckFilterParams(req, fr.type, fr.user, fr.item); !st.ok()) {
            return SetStatusError(res, st);
          }
          auto rows = AllFeedback(*d_.store, make_filter(req, fr.type, fr.user, fr.item));
          if (!rows.ok()) return SetStatusError(res, rows.status());
          WriteFeedbackArray(res, *rows);
        });
  }
  Add(r,
      {.method = "GET",
       .pattern = "/api/feedback/{feedback_type}/{user_id}/{item_id}",
       .summary = "Get one feedback row.",
       .tag = "feedback",
       .response_schema = "Feedback"},
      [this, make_filter](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckFilterParams(req, true, true, true); !st.ok()) {
          return SetStatusError(res, st);
        }
        auto rows = AllFeedback(*d_.store, make_filter(req, true, true, true));
        if (!rows.ok()) return SetStatusError(res, rows.status());
        if (rows->empty()) return SetStatusError(res, NotFound("feedback not found"));
        JsonWriter w(std::move(res.body));
        ingest::WriteFeedback(w, rows->front());
        res.body = w.Take();
      });
  for (bool typed : {false, true}) {
    Add(r,
        {.method = "DELETE",
         .pattern = typed ? "/api/feedback/{feedback_type}/{user_id}/{item_id}"
                          : "/api/feedback/{user_id}/{item_id}",
         .summary =
             typed ? "Delete one feedback row." : "Delete feedback between a user and an item.",
         .tag = "feedback",
         .response_schema = "RowAffected"},
        [this, typed, make_filter](HttpRequest& req, HttpResponse& res) {
          if (Status st = CheckFilterParams(req, typed, true, true); !st.ok()) {
            return SetStatusError(res, st);
          }
          FeedbackFilter filter = make_filter(req, typed, true, true);
          auto n = d_.store->DeleteFeedback(filter);
          if (!n.ok()) return SetStatusError(res, n.status());
          FeedbackFilter remaining;
          remaining.user_id = filter.user_id;
          auto rows = AllFeedback(*d_.store, remaining);
          if (rows.ok()) d_.state->ResetUserFeedback(*filter.user_id, *rows);
          WriteRowAffected(res, *n);
        });
  }
}

}  // namespace reco::api
