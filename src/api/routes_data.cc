// Gorse's data routes: users, items, feedback. Each handler parses the request, calls the
// catalogue or feedback service and writes the answer.
#include <span>

#include "api/api_service.h"
#include "api/params.h"
#include "api/responses.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

using service::FeedbackKey;

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

FeedbackFilter MakeFilter(const HttpRequest& req, bool type, bool user, bool item) {
  FeedbackFilter f;
  if (type) f.feedback_type = std::string(req.Param("feedback_type"));
  if (user) f.user_id = std::string(req.Param("user_id"));
  if (item) f.item_id = std::string(req.Param("item_id"));
  return f;
}

FeedbackKey MakeKey(const HttpRequest& req, bool typed) {
  FeedbackKey key{.user_id = std::string(req.Param("user_id")),
                  .item_id = std::string(req.Param("item_id"))};
  if (typed) key.feedback_type = std::string(req.Param("feedback_type"));
  return key;
}

// {"RowAffected": n}, or the error.
void WriteRows(HttpResponse& res, const Result<service::RowsAffected>& n) {
  if (!n.ok()) return SetStatusError(res, n.status());
  WriteRowAffected(res, n->rows);
}

// One object written by `write`, or the error.
template <typename T>
void WriteOne(HttpResponse& res, const Result<T>& value, void (*write)(JsonWriter&, const T&)) {
  if (!value.ok()) return SetStatusError(res, value.status());
  JsonWriter w(std::move(res.body));
  write(w, *value);
  res.body = w.Take();
}

// {"Cursor": "...", key: [rows]}, or the error.
template <typename T>
void WriteCursor(HttpResponse& res, const Result<Page<T>>& page, std::string_view key,
                 void (*write)(JsonWriter&, const T&)) {
  if (!page.ok()) return SetStatusError(res, page.status());
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("Cursor").String(page->next_cursor).Key(key).BeginArray();
  for (const T& row : page->rows) write(w, row);
  w.EndArray().EndObject();
  res.body = w.Take();
}

void WriteFeedbackArray(HttpResponse& res, const Result<std::vector<Feedback>>& rows) {
  if (!rows.ok()) return SetStatusError(res, rows.status());
  JsonWriter w(std::move(res.body));
  w.BeginArray();
  for (const auto& f : *rows) ingest::WriteFeedback(w, f);
  w.EndArray();
  res.body = w.Take();
}

// The page request of a cursor listing: n (1..max_n, default default_n) and cursor.
Result<service::ListPageRequest> ParseListPage(const HttpRequest& req, const ServerConfig& server) {
  service::ListPageRequest page;
  RECO_ASSIGN_OR_RETURN(page.n, IntParam(req, "n", server.default_n, 1, server.max_n));
  page.cursor = std::string(req.Query("cursor").value_or(""));
  return page;
}

const std::vector<std::pair<std::string, std::string>> kCursorQuery = {
    {"n", "page size"}, {"cursor", "from the previous page"}};

}  // namespace

ingest::GorseJsonParser& ApiService::Parser() const {
  return BodyParser(*d_.clock, d_.config->database);
}

void ApiService::AddUserRoutes(Router& r) {
  Add(r,
      {.method = "POST",
       .pattern = "/api/user",
       .summary = "Insert or replace a user.",
       .tag = "user",
       .request_schema = "User",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto user = Parser().ParseObject<User>(req.body());
        if (!user.ok()) return SetStatusError(res, user.status());
        WriteRows(res, d_.catalogue->PutUsers(std::span<const User>(&*user, 1)));
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/users",
       .summary = "Insert or replace users (atomic batch).",
       .tag = "user",
       .request_schema = "User[]",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto users = Parser().ParseArray<User>(req.body());
        if (!users.ok()) return SetStatusError(res, users.status());
        WriteRows(res, d_.catalogue->PutUsers(*users));
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/user/{user_id}",
       .summary = "Get a user.",
       .tag = "user",
       .response_schema = "User"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"user_id"}); !st.ok()) return SetStatusError(res, st);
        WriteOne(res, d_.catalogue->GetUser(req.Param("user_id")), ingest::WriteUser);
      });
  AddUserEditRoutes(r);
}

void ApiService::AddUserEditRoutes(Router& r) {
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
        WriteRows(res, d_.catalogue->PatchUser(req.Param("user_id"), *patch));
      });
  Add(r,
      {.method = "DELETE",
       .pattern = "/api/user/{user_id}",
       .summary = "Delete a user and its feedback.",
       .tag = "user",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"user_id"}); !st.ok()) return SetStatusError(res, st);
        WriteRows(res, d_.catalogue->DeleteUser(req.Param("user_id")));
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/users",
       .summary = "List users with a cursor.",
       .tag = "user",
       .query = kCursorQuery,
       .response_schema = "UserCursor"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto page = ParseListPage(req, d_.config->server);
        if (!page.ok()) return SetStatusError(res, page.status());
        WriteCursor(res, d_.catalogue->ListUsers(*page), "Users", ingest::WriteUser);
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
        auto item = Parser().ParseObject<Item>(req.body());
        if (!item.ok()) return SetStatusError(res, item.status());
        WriteRows(res, d_.catalogue->PutItems(std::span<const Item>(&*item, 1)));
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/items",
       .summary = "Insert or replace items (atomic batch).",
       .tag = "item",
       .request_schema = "Item[]",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto items = Parser().ParseArray<Item>(req.body());
        if (!items.ok()) return SetStatusError(res, items.status());
        WriteRows(res, d_.catalogue->PutItems(*items));
      });
  Add(r,
      {.method = "GET",
       .pattern = "/api/item/{item_id}",
       .summary = "Get an item.",
       .tag = "item",
       .response_schema = "Item"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"item_id"}); !st.ok()) return SetStatusError(res, st);
        WriteOne(res, d_.catalogue->GetItem(req.Param("item_id")), ingest::WriteItem);
      });
  AddItemEditRoutes(r);
}

void ApiService::AddItemEditRoutes(Router& r) {
  Add(r,
      {.method = "PATCH",
       .pattern = "/api/item/{item_id}",
       .summary = "Modify an item.",
       .tag = "item",
       .request_schema = "ItemPatch",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"item_id"}); !st.ok()) return SetStatusError(res, st);
        auto patch = Parser().ParseObject<ItemPatch>(req.body());
        if (!patch.ok()) return SetStatusError(res, patch.status());
        WriteRows(res, d_.catalogue->PatchItem(req.Param("item_id"), *patch));
      });
  Add(r,
      {.method = "DELETE",
       .pattern = "/api/item/{item_id}",
       .summary = "Delete an item and its feedback.",
       .tag = "item",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckParams(req, {"item_id"}); !st.ok()) return SetStatusError(res, st);
        WriteRows(res, d_.catalogue->DeleteItem(req.Param("item_id")));
      });
  AddItemCategoryRoutes(r);
  AddItemVectorRoutes(r);
  AddDataSummaryRoute(r);
  Add(r,
      {.method = "GET",
       .pattern = "/api/items",
       .summary = "List items with a cursor.",
       .tag = "item",
       .query = kCursorQuery,
       .response_schema = "ItemCursor"},
      [this](HttpRequest& req, HttpResponse& res) {
        auto page = ParseListPage(req, d_.config->server);
        if (!page.ok()) return SetStatusError(res, page.status());
        WriteCursor(res, d_.catalogue->ListItems(*page), "Items", ingest::WriteItem);
      });
}

void ApiService::AddDataSummaryRoute(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/data/summary",
       .summary = "Counts of users, items and feedback, and the feedback written last (newest "
                  "first).",
       .tag = "operators",
       .query = {{"recent", "feedback rows returned, 0..1000 (default 20)"}},
       .response_schema = "object"},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<int> recent = IntParam(req, "recent", 20, 0, 1000);
        if (!recent.ok()) return SetStatusError(res, recent.status());
        Result<service::DataSummary> summary = d_.catalogue->Summary(*recent);
        if (!summary.ok()) return SetStatusError(res, summary.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("users").Int(summary->counts.users);
        w.Key("items").Int(summary->counts.items).Key("feedback").Int(summary->counts.feedback);
        w.Key("recent_feedback").BeginArray();
        for (const Feedback& f : summary->recent_feedback) ingest::WriteFeedback(w, f);
        w.EndArray().EndObject();
        res.body = w.Take();
      });
}

void ApiService::AddItemCategoryRoutes(Router& r) {
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
          service::ItemCategoryRequest request{.item_id = std::string(req.Param("item_id")),
                                               .category = std::string(req.Param("category"))};
          WriteRows(res, add ? d_.catalogue->AddItemCategory(request)
                             : d_.catalogue->RemoveItemCategory(request));
        });
  }
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
          auto rows = Parser().ParseArray<Feedback>(req.body());
          if (!rows.ok()) return SetStatusError(res, rows.status());
          WriteRows(res, d_.feedback->Write({.rows = *rows, .overwrite = overwrite}));
        });
  }
  for (bool by_type : {false, true}) {
    Add(r,
        {.method = "GET",
         .pattern = by_type ? "/api/feedback/{feedback_type}" : "/api/feedback",
         .summary =
             by_type ? "List feedback of one type with a cursor." : "List feedback with a cursor.",
         .tag = "feedback",
         .query = kCursorQuery,
         .response_schema = "FeedbackCursor"},
        [this, by_type](HttpRequest& req, HttpResponse& res) {
          if (Status st = CheckFilterParams(req, by_type, false, false); !st.ok()) {
            return SetStatusError(res, st);
          }
          auto page = ParseListPage(req, d_.config->server);
          if (!page.ok()) return SetStatusError(res, page.status());
          service::ListFeedbackRequest request{.cursor = page->cursor, .n = page->n};
          if (by_type) request.feedback_type = std::string(req.Param("feedback_type"));
          WriteCursor(res, d_.feedback->List(request), "Feedback", ingest::WriteFeedback);
        });
  }
  AddFeedbackFilterRoutes(r);
  AddFeedbackKeyRoutes(r);
}

void ApiService::AddFeedbackFilterRoutes(Router& r) {
  // Array routes: every feedback row matching the path's filter.
  struct FilterRoute {
    const char* pattern;
    const char* summary;
    bool type, user, item;
  };
  static const FilterRoute kRoutes[] = {
      {"/api/feedback/{user_id}/{item_id}", "Feedback between a user and an item.", false, true,
       true},
      {"/api/user/{user_id}/feedback", "Feedback of a user.", false, true, false},
      {"/api/user/{user_id}/feedback/{feedback_type}", "Feedback of a user, one type.", true, true,
       false},
      {"/api/item/{item_id}/feedback", "Feedback on an item.", false, false, true},
      {"/api/item/{item_id}/feedback/{feedback_type}", "Feedback on an item, one type.", true,
       false, true},
  };
  for (const FilterRoute& fr : kRoutes) {
    Add(r,
        {.method = "GET",
         .pattern = fr.pattern,
         .summary = fr.summary,
         .tag = "feedback",
         .response_schema = "Feedback[]"},
        [this, fr](HttpRequest& req, HttpResponse& res) {
          if (Status st = CheckFilterParams(req, fr.type, fr.user, fr.item); !st.ok()) {
            return SetStatusError(res, st);
          }
          WriteFeedbackArray(res, d_.feedback->Find(MakeFilter(req, fr.type, fr.user, fr.item)));
        });
  }
}

void ApiService::AddFeedbackKeyRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/feedback/{feedback_type}/{user_id}/{item_id}",
       .summary = "Get one feedback row.",
       .tag = "feedback",
       .response_schema = "Feedback"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckFilterParams(req, true, true, true); !st.ok()) {
          return SetStatusError(res, st);
        }
        WriteOne(res, d_.feedback->Get(MakeKey(req, true)), ingest::WriteFeedback);
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
        [this, typed](HttpRequest& req, HttpResponse& res) {
          if (Status st = CheckFilterParams(req, typed, true, true); !st.ok()) {
            return SetStatusError(res, st);
          }
          WriteRows(res, d_.feedback->Delete(MakeKey(req, typed)));
        });
  }
}

}  // namespace reco::api
