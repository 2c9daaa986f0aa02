// Bad requests to a real `reco serve` get the right status and an error JSON naming the field,
// and a rejected batch writes nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

constexpr int kMaxBodyBytes = 4096;

struct Case {
  std::string name;
  std::string method;
  std::string target;
  std::string body;
  int status = 400;
  std::string field;          // expected error.field; "" = the error names no field
  std::string verify_target;  // when set: a GET that shows nothing was written
  int verify_status = 200;
  std::string verify_body;  // expected body of verify_target ("" = any)
  std::string header;       // a response header that must be present
  Headers headers;
};

int64_t UnixSecondsNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string GoodFeedback(int i) {
  return FeedbackJson("like", "batchuser", "batchitem" + std::to_string(i));
}

std::vector<Case> Cases() {
  const std::string long_id(257, 'a');
  const std::string batch_prefix =
      "[" + GoodFeedback(0) + "," + GoodFeedback(1) + "," + GoodFeedback(2) + ",";
  const std::string batch_check = "/api/user/batchuser/feedback";
  std::vector<Case> c = {
      {.name = "malformed user JSON",
       .method = "POST",
       .target = "/api/user",
       .body = R"({"UserId":"mal1",)",
       .verify_target = "/api/user/mal1",
       .verify_status = 404},
      {.name = "malformed feedback JSON",
       .method = "POST",
       .target = "/api/feedback",
       .body = batch_prefix + R"({"FeedbackType":"like",)",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "feedback body not an array",
       .method = "POST",
       .target = "/api/feedback",
       .body = GoodFeedback(0),
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "empty body", .method = "POST", .target = "/api/item", .body = ""},
      {.name = "IsHidden is a string",
       .method = "POST",
       .target = "/api/item",
       .body = R"({"ItemId":"bad1","IsHidden":"yes"})",
       .field = "IsHidden",
       .verify_target = "/api/item/bad1",
       .verify_status = 404},
      {.name = "Categories is a string",
       .method = "POST",
       .target = "/api/item",
       .body = R"({"ItemId":"bad2","Categories":"x"})",
       .field = "Categories",
       .verify_target = "/api/item/bad2",
       .verify_status = 404},
      {.name = "Categories holds a number",
       .method = "POST",
       .target = "/api/item",
       .body = R"({"ItemId":"bad2b","Categories":["x",1]})",
       .field = "Categories",
       .verify_target = "/api/item/bad2b",
       .verify_status = 404},
      {.name = "Timestamp 123abc",
       .method = "POST",
       .target = "/api/item",
       .body = R"({"ItemId":"bad3","Timestamp":123abc})",
       .field = "Timestamp",
       .verify_target = "/api/item/bad3",
       .verify_status = 404},
      {.name = "Timestamp does not parse",
       .method = "POST",
       .target = "/api/item",
       .body = R"({"ItemId":"bad4","Timestamp":"yesterday"})",
       .field = "Timestamp",
       .verify_target = "/api/item/bad4",
       .verify_status = 404},
      {.name = "Timestamp month 13",
       .method = "POST",
       .target = "/api/item",
       .body = R"({"ItemId":"bad5","Timestamp":"2024-13-01T00:00:00Z"})",
       .field = "Timestamp",
       .verify_target = "/api/item/bad5",
       .verify_status = 404},
      {.name = "patch IsHidden is a string",
       .method = "PATCH",
       .target = "/api/item/i1",
       .body = R"({"IsHidden":"yes"})",
       .field = "IsHidden"},
      {.name = "items batch with one bad item",
       .method = "POST",
       .target = "/api/items",
       .body = R"([{"ItemId":"okitem"},{"ItemId":"x","IsHidden":"yes"}])",
       .field = "[1].IsHidden",
       .verify_target = "/api/item/okitem",
       .verify_status = 404},
      {.name = "user without UserId",
       .method = "POST",
       .target = "/api/user",
       .body = R"({"Comment":"x"})",
       .field = "UserId"},
      {.name = "user with empty UserId",
       .method = "POST",
       .target = "/api/user",
       .body = R"({"UserId":""})",
       .field = "UserId"},
      {.name = "user id over 256 bytes in body",
       .method = "POST",
       .target = "/api/user",
       .body = R"({"UserId":")" + long_id + "\"}",
       .field = "UserId"},
      {.name = "users batch with one long id",
       .method = "POST",
       .target = "/api/users",
       .body = R"([{"UserId":"okuser"},{"UserId":")" + long_id + "\"}]",
       .field = "[1].UserId",
       .verify_target = "/api/user/okuser",
       .verify_status = 404},
      {.name = "feedback batch, 4th row bad timestamp",
       .method = "POST",
       .target = "/api/feedback",
       .body =
           batch_prefix +
           R"({"FeedbackType":"like","UserId":"batchuser","ItemId":"z","Timestamp":"2024-02-30T99:00:00Z"}])",
       .field = "[3].Timestamp",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "feedback batch, 4th row without UserId",
       .method = "POST",
       .target = "/api/feedback",
       .body = batch_prefix + R"({"FeedbackType":"like","ItemId":"z"}])",
       .field = "[3].UserId",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "PUT feedback batch, 4th row empty ItemId",
       .method = "PUT",
       .target = "/api/feedback",
       .body = batch_prefix + R"({"FeedbackType":"like","UserId":"batchuser","ItemId":""}])",
       .field = "[3].ItemId",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "feedback batch, 4th row long ItemId",
       .method = "POST",
       .target = "/api/feedback",
       .body = batch_prefix + R"({"FeedbackType":"like","UserId":"batchuser","ItemId":")" +
               long_id + "\"}]",
       .field = "[3].ItemId",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "feedback without FeedbackType",
       .method = "POST",
       .target = "/api/feedback",
       .body = R"([{"UserId":"batchuser","ItemId":"z"}])",
       .field = "[0].FeedbackType",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "feedback Value is a string",
       .method = "POST",
       .target = "/api/feedback",
       .body = R"([{"FeedbackType":"like","UserId":"batchuser","ItemId":"z","Value":"high"}])",
       .field = "[0].Value",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "session body malformed",
       .method = "POST",
       .target = "/api/session/recommend",
       .body = "[{"},
      {.name = "user id over 256 bytes in path",
       .method = "GET",
       .target = "/api/user/" + long_id,
       .field = "user_id"},
      {.name = "item id over 256 bytes in path",
       .method = "GET",
       .target = "/api/item/" + long_id,
       .field = "item_id"},
      {.name = "delete long user id",
       .method = "DELETE",
       .target = "/api/user/" + long_id,
       .field = "user_id"},
      {.name = "recommend long user id",
       .method = "GET",
       .target = "/api/recommend/" + long_id,
       .field = "user_id"},
      {.name = "neighbors long item id",
       .method = "GET",
       .target = "/api/item/" + long_id + "/neighbors",
       .field = "item_id"},
      {.name = "feedback of long user id",
       .method = "GET",
       .target = "/api/user/" + long_id + "/feedback",
       .field = "user_id"},
      {.name = "category of long item id",
       .method = "PUT",
       .target = "/api/item/" + long_id + "/category/c",
       .field = "item_id"},
      {.name = "n=0", .method = "GET", .target = "/api/recommend/u1?n=0", .field = "n"},
      {.name = "n=-1", .method = "GET", .target = "/api/recommend/u1?n=-1", .field = "n"},
      {.name = "n=1001", .method = "GET", .target = "/api/recommend/u1?n=1001", .field = "n"},
      {.name = "n=abc", .method = "GET", .target = "/api/recommend/u1?n=abc", .field = "n"},
      {.name = "n empty", .method = "GET", .target = "/api/popular?n=", .field = "n"},
      {.name = "n=1001 on users", .method = "GET", .target = "/api/users?n=1001", .field = "n"},
      {.name = "n=0 on feedback", .method = "GET", .target = "/api/feedback?n=0", .field = "n"},
      {.name = "n=abc on latest", .method = "GET", .target = "/api/latest?n=abc", .field = "n"},
      {.name = "offset=-1",
       .method = "GET",
       .target = "/api/recommend/u1?offset=-1",
       .field = "offset"},
      {.name = "offset=-1 on popular",
       .method = "GET",
       .target = "/api/popular?offset=-1",
       .field = "offset"},
      {.name = "n=0 on session",
       .method = "POST",
       .target = "/api/session/recommend?n=0",
       .body = "[]",
       .field = "n"},
      {.name = "top_n=0", .method = "GET", .target = "/similar/i1?top_n=0", .field = "top_n"},
      {.name = "top_n=abc",
       .method = "GET",
       .target = "/recommend/detail/i1?top_n=abc",
       .field = "top_n"},
      {.name = "write-back-delay=abc",
       .method = "GET",
       .target = "/api/recommend/u1?write-back-type=read&write-back-delay=abc",
       .field = "write-back-delay",
       .verify_target = "/api/user/u1/feedback/read"},
      // Times: range-checked (no overflow into year -290308) and at most
      // database.max_future_skew_seconds (1 day) after now, on every write route.
      {.name = "feedback Timestamp 9.5e12 seconds",
       .method = "POST",
       .target = "/api/feedback",
       .body = batch_prefix +
               R"({"FeedbackType":"like","UserId":"batchuser","ItemId":"z","Timestamp":9.5e12}])",
       .field = "[3].Timestamp",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "item Timestamp -9.5e12 seconds",
       .method = "POST",
       .target = "/api/item",
       .body = R"({"ItemId":"bad6","Timestamp":-9.5e12})",
       .field = "Timestamp",
       .verify_target = "/api/item/bad6",
       .verify_status = 404},
      {.name = "feedback dated 9999-12-31",
       .method = "POST",
       .target = "/api/feedback",
       .body =
           batch_prefix +
           R"({"FeedbackType":"like","UserId":"batchuser","ItemId":"z","Timestamp":"9999-12-31"}])",
       .field = "[3].Timestamp",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "PUT feedback dated two days ahead",
       .method = "PUT",
       .target = "/api/feedback",
       .body = R"([{"FeedbackType":"like","UserId":"batchuser","ItemId":"z","Timestamp":)" +
               std::to_string(UnixSecondsNow() + 2 * 86400) + "}]",
       .field = "[0].Timestamp",
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "item dated in the year 3000",
       .method = "POST",
       .target = "/api/item",
       .body = R"({"ItemId":"bad7","Timestamp":"3000-01-01T00:00:00Z"})",
       .field = "Timestamp",
       .verify_target = "/api/item/bad7",
       .verify_status = 404},
      {.name = "items batch, 2nd dated 9999",
       .method = "POST",
       .target = "/api/items",
       .body = R"([{"ItemId":"okitem2"},{"ItemId":"bad8","Timestamp":"9999-12-31"}])",
       .field = "[1].Timestamp",
       .verify_target = "/api/item/okitem2",
       .verify_status = 404},
      {.name = "patch Timestamp 9999",
       .method = "PATCH",
       .target = "/api/item/i1",
       .body = R"({"Timestamp":"9999-12-31T00:00:00Z"})",
       .field = "Timestamp"},
      {.name = "session feedback dated 9999",
       .method = "POST",
       .target = "/api/session/recommend",
       .body = R"([{"FeedbackType":"like","UserId":"s","ItemId":"i1","Timestamp":"9999-12-31"}])",
       .field = "[0].Timestamp"},
      {.name = "write-back-delay overflowing int64",
       .method = "GET",
       .target = "/api/recommend/u1?write-back-type=read&write-back-delay=999999999h999999999h"
                 "999999999h999999999h",
       .field = "write-back-delay"},
      {.name = "write-back-delay beyond the skew",
       .method = "GET",
       .target = "/api/recommend/u1?write-back-type=read&write-back-delay=24h1s",
       .field = "write-back-delay"},
      {.name = "body over the limit",
       .method = "POST",
       .target = "/api/feedback",
       .body = "[" + std::string(kMaxBodyBytes, ' ') + "]",
       .status = 413,
       .verify_target = batch_check,
       .verify_body = "[]"},
      {.name = "unknown route", .method = "GET", .target = "/api/nope", .status = 404},
      {.name = "unknown top-level route", .method = "GET", .target = "/nope", .status = 404},
      {.name = "DELETE /api/users",
       .method = "DELETE",
       .target = "/api/users",
       .status = 405,
       .header = "Allow"},
      {.name = "PATCH /api/feedback",
       .method = "PATCH",
       .target = "/api/feedback",
       .body = "[]",
       .status = 405,
       .header = "Allow"},
      {.name = "GET /models/reload",
       .method = "GET",
       .target = "/models/reload",
       .status = 405,
       .header = "Allow"},
      {.name = "POST /health",
       .method = "POST",
       .target = "/health",
       .body = "{}",
       .status = 405,
       .header = "Allow"},
  };
  return c;
}

TEST(BadInput, RejectedWithStatusAndFieldAndNothingWritten) {
  TempDataDir dir("badinput");
  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 30, .items = 40, .seed = 4}), "");
  TestServer server;
  ASSERT_EQ(
      server.Start(data, {.env = {{"RECO_SERVER_MAX_BODY_BYTES", std::to_string(kMaxBodyBytes)}}}),
      "");
  HttpClient client(server.port());
  std::string verify_read_before = client.Get("/api/user/u1/feedback/read").body;
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.name);
    HttpResult r = client.Request(c.method, c.target, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << r.body;
    if (r.status != c.status) continue;
    Json doc(r.body);
    ASSERT_TRUE(doc.ok()) << "error body is not JSON: " << r.body;
    int64_t code = 0;
    EXPECT_EQ(doc["error"]["code"].get_int64().get(code), simdjson::SUCCESS) << r.body;
    EXPECT_EQ(code, c.status);
    EXPECT_FALSE(StringField(doc["error"], "status").empty()) << r.body;
    EXPECT_FALSE(StringField(doc["error"], "message").empty()) << r.body;
    EXPECT_EQ(StringField(doc["error"], "field"), c.field) << r.body;
    if (!c.header.empty()) {
      EXPECT_FALSE(r.Header(c.header).empty()) << c.header << " header missing";
    }
    if (!c.verify_target.empty()) {
      HttpResult v = client.Get(c.verify_target);
      EXPECT_EQ(v.status, c.verify_status) << c.verify_target << " " << v.body;
      if (!c.verify_body.empty()) {
        EXPECT_EQ(v.body, c.verify_body) << c.verify_target;
      }
    }
  }
  EXPECT_EQ(client.Get("/api/user/u1/feedback/read").body, verify_read_before)
      << "a rejected write-back wrote feedback";
  // Within the skew is accepted: a client clock an hour ahead, a write-back delay of a day.
  HttpResult ahead =
      client.Post("/api/feedback",
                  R"([{"FeedbackType":"like","UserId":"clockuser","ItemId":"i1","Timestamp":)" +
                      std::to_string(UnixSecondsNow() + 3600) + "}]");
  EXPECT_EQ(ahead.status, 200) << ahead.body;
  EXPECT_EQ(client.Get("/api/recommend/u1?write-back-type=read&write-back-delay=24h").status, 200);
  EXPECT_EQ(client.Request("DELETE", "/api/users").Header("Allow").find("GET") != std::string::npos,
            true);
  EXPECT_EQ(client.Get("/models/reload").Header("Allow"), "POST");
}

}  // namespace
}  // namespace reco::itest
