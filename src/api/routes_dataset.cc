// The dataset routes: GET /api/v1/dataset/export (one page of JSON lines, the next page's
// cursor in X-Reco-Next-Cursor) and POST /api/v1/dataset/import (JSON lines), over
// DatasetService. A line is {"User": {...}}, {"Item": {...}} or {"Feedback": {...}} with the
// Gorse object inside, as the other routes read and write it.
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include "api/api_service.h"
#include "api/params.h"
#include "api/responses.h"
#include "core/json_writer.h"
#include "ingest/gorse_json.h"
#include "service/dataset_service.h"

namespace reco::api {
namespace {

// Appends one line per row to `out`: {"User": {...}}\n, then items, then feedback.
void WriteLines(std::string& out, const service::DatasetRows& rows) {
  std::string line;
  auto append = [&](std::string_view key, const auto& write) {
    JsonWriter w(std::move(line));
    w.BeginObject().Key(key);
    write(w);
    w.EndObject();
    line = w.Take();
    out += line;
    out.push_back('\n');
  };
  for (const User& user : rows.users) {
    append("User", [&](JsonWriter& w) { ingest::WriteUser(w, user); });
  }
  for (const Item& item : rows.items) {
    append("Item", [&](JsonWriter& w) { ingest::WriteItem(w, item); });
  }
  for (const Feedback& row : rows.feedback) {
    append("Feedback", [&](JsonWriter& w) { ingest::WriteFeedback(w, row); });
  }
}

// One line into `rows`; errors name the line ("line 12: ...", field "line 12").
Status ParseLine(std::string_view line, size_t number, ingest::GorseJsonParser& parser,
                 simdjson::dom::parser& dom, service::DatasetRows& rows) {
  const std::string where = "line " + std::to_string(number);
  auto fail = [&](std::string_view why) {
    return InvalidArgument(where + ": " + std::string(why), where);
  };
  simdjson::dom::object object;
  if (dom.parse(line).get(object) != simdjson::SUCCESS) {
    return fail("not a JSON object");
  }
  if (object.size() != 1) return fail("want one key, User, Item or Feedback");
  const auto [key, value] = *object.begin();
  const std::string inner = simdjson::minify(value);
  if (key == "User") {
    auto user = parser.ParseObject<User>(inner);
    if (!user.ok()) return user.status().WithPrefix(where + ": User");
    rows.users.push_back(std::move(user).value());
  } else if (key == "Item") {
    auto item = parser.ParseObject<Item>(inner);
    if (!item.ok()) return item.status().WithPrefix(where + ": Item");
    rows.items.push_back(std::move(item).value());
  } else if (key == "Feedback") {
    auto row = parser.ParseObject<Feedback>(inner);
    if (!row.ok()) return row.status().WithPrefix(where + ": Feedback");
    rows.feedback.push_back(std::move(row).value());
  } else {
    return fail("unknown key \"" + std::string(key) + "\" (User, Item or Feedback)");
  }
  return Status::Ok();
}

// Every line of the body, or the first bad one's error (then nothing is written).
Result<service::DatasetRows> ParseLines(std::string_view body, ingest::GorseJsonParser& parser) {
  service::DatasetRows rows;
  simdjson::dom::parser dom;
  size_t number = 0;
  while (!body.empty()) {
    const size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    RECO_RETURN_IF_ERROR(ParseLine(line, number, parser, dom, rows));
  }
  return rows;
}

}  // namespace

void ApiService::AddDatasetRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/dataset/export",
       .summary =
           "One page of the dataset as JSON lines ({\"User\"|\"Item\"|\"Feedback\": {...}}): "
           "users, then items, then feedback. The next page's cursor is in "
           "X-Reco-Next-Cursor (empty after the last page).",
       .tag = "dataset",
       .query = {{"cursor", "from the previous page"}, {"n", "rows per page (1..10000)"}},
       .response_schema = "ndjson"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (d_.dataset == nullptr) return SetStatusError(res, Unavailable("no dataset service"));
        auto n = IntParam(req, "n", 1000, 1, service::DatasetService::kMaxExportPage);
        if (!n.ok()) return SetStatusError(res, n.status());
        auto page =
            d_.dataset->Export({.cursor = std::string(req.Query("cursor").value_or("")), .n = *n});
        if (!page.ok()) return SetStatusError(res, page.status());
        res.body.clear();
        WriteLines(res.body, page->rows);
        res.content_type = "application/x-ndjson";
        res.AddHeader("X-Reco-Next-Cursor", page->next_cursor);
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/dataset/import",
       .summary = "Import JSON lines as the export writes them: every line is checked first (a bad "
                  "line is a 400 naming it, and nothing is written), then users, items and "
                  "feedback are written in batches; feedback replaces existing rows.",
       .tag = "dataset",
       .request_schema = "ndjson",
       .response_schema = "DatasetImport"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (d_.dataset == nullptr) return SetStatusError(res, Unavailable("no dataset service"));
        auto rows = ParseLines(req.body(), Parser());
        if (!rows.ok()) return SetStatusError(res, rows.status());
        auto report = d_.dataset->Import(*rows, [](const service::ImportReport& r) {
          spdlog::info("event=dataset_import_progress users={} items={} feedback={}", r.users,
                       r.items, r.feedback);
        });
        if (!report.ok()) return SetStatusError(res, report.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject()
            .Key("Users")
            .Int(report->users)
            .Key("Items")
            .Int(report->items)
            .Key("Feedback")
            .Int(report->feedback)
            .EndObject();
        res.body = w.Take();
      });
}

}  // namespace reco::api
