#include "ingest/gorse_json.h"

#include <gtest/gtest.h>

#include <chrono>

namespace reco::ingest {
namespace {

constexpr TimestampUs kTs = 1659832006LL * kMicrosPerSecond;  // 2022-08-07T00:26:46Z

TEST(GorseJson, UserRoundTrips) {
  User user{"u1", R"({"age":3,"tags":["a","b"]})", "hello \"world\""};
  JsonWriter w;
  WriteUser(w, user);
  EXPECT_EQ(w.str(), R"({"UserId":"u1","Labels":{"age":3,"tags":["a","b"]},"Subscribe":null,)"
                     R"("Comment":"hello \"world\""})");
  auto parsed = ParseUser(w.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->user_id, user.user_id);
  EXPECT_EQ(parsed->labels_json, user.labels_json);
  EXPECT_EQ(parsed->comment, user.comment);
}

TEST(GorseJson, ItemRoundTrips) {
  Item item{"i/1", true, {"tech", "推荐"}, R"(["x"])", kTs + 500000, "c"};
  JsonWriter w;
  WriteItem(w, item);
  EXPECT_EQ(w.str(), R"({"ItemId":"i/1","IsHidden":true,"Categories":["tech","推荐"],)"
                     R"("Timestamp":"2022-08-07T00:26:46.5Z","Labels":["x"],"Comment":"c"})");
  auto parsed = ParseItem(w.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->item_id, item.item_id);
  EXPECT_TRUE(parsed->is_hidden);
  EXPECT_EQ(parsed->categories, item.categories);
  EXPECT_EQ(parsed->labels_json, item.labels_json);
  EXPECT_EQ(parsed->timestamp, item.timestamp);
  EXPECT_EQ(parsed->comment, "c");
}

TEST(GorseJson, FeedbackRoundTrips) {
  Feedback fb{"like", "u1", "i1", 2.5, kTs, "x"};
  JsonWriter w;
  WriteFeedback(w, fb);
  EXPECT_EQ(w.str(), R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1","Value":2.5,)"
                     R"("Timestamp":"2022-08-07T00:26:46Z","Comment":"x"})");
  auto parsed = ParseFeedback(w.str());
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->feedback_type, "like");
  EXPECT_EQ(parsed->user_id, "u1");
  EXPECT_EQ(parsed->item_id, "i1");
  EXPECT_DOUBLE_EQ(parsed->value, 2.5);
  EXPECT_EQ(parsed->timestamp, kTs);
}

TEST(GorseJson, DefaultsAndLenientForms) {
  ParseOptions options{kTs};
  auto item = ParseItem(R"({"ItemId":"a","Subscribe":[1],"Unknown":{"x":[1,2]}})", options);
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ(item->timestamp, kTs);
  EXPECT_EQ(item->labels_json, "null");
  EXPECT_FALSE(item->is_hidden);

  auto empty_ts = ParseItem(R"({"ItemId":"a","Timestamp":""})", options);
  ASSERT_TRUE(empty_ts.ok());
  EXPECT_EQ(empty_ts->timestamp, kTs);

  auto unix_ts = ParseFeedback(
      R"({"FeedbackType":"read","UserId":"u","ItemId":"i","Timestamp":1659832006})", options);
  ASSERT_TRUE(unix_ts.ok());
  EXPECT_EQ(unix_ts->timestamp, kTs);
  EXPECT_DOUBLE_EQ(unix_ts->value, 1.0);

  auto spaced = ParseUser("{ \"UserId\" : \"u\", \"Labels\" : { \"a\" : [ 1, \"x y\" ] } }");
  ASSERT_TRUE(spaced.ok());
  EXPECT_EQ(spaced->labels_json, R"({"a":[1,"x y"]})");

  auto scalar = ParseUser(R"({"UserId":"u","Labels":"vip"})");
  ASSERT_TRUE(scalar.ok());
  EXPECT_EQ(scalar->labels_json, R"("vip")");
}

TEST(GorseJson, ParsesArrays) {
  auto users = ParseUsers(R"([{"UserId":"a"},{"UserId":"b","Comment":"c"}])");
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[1].user_id, "b");
  EXPECT_EQ((*users)[1].comment, "c");
  auto empty = ParseFeedbackList("[]");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(GorseJson, PatchesLeaveAbsentFieldsUnset) {
  auto item = ParseItemPatch(R"({"IsHidden":true,"Comment":null,"Labels":[1]})");
  ASSERT_TRUE(item.ok()) << item.status().ToString();
  EXPECT_EQ(item->is_hidden, std::optional<bool>(true));
  EXPECT_FALSE(item->comment.has_value());
  EXPECT_FALSE(item->categories.has_value());
  EXPECT_FALSE(item->timestamp.has_value());
  EXPECT_EQ(item->labels_json, std::optional<std::string>("[1]"));

  auto ts = ParseItemPatch(R"({"Timestamp":"2022-08-07T00:26:46Z","Categories":[]})");
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(ts->timestamp, std::optional<TimestampUs>(kTs));
  ASSERT_TRUE(ts->categories.has_value());
  EXPECT_TRUE(ts->categories->empty());

  auto user = ParseUserPatch(R"({"Comment":"x"})");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->comment, std::optional<std::string>("x"));
  EXPECT_FALSE(user->labels_json.has_value());
}

struct ErrorCase {
  const char* name;
  std::string json;
  std::string kind;  // user, item, feedback, items, itempatch
  std::string field;
  std::string message_part;
};

Status ParseAs(const ErrorCase& c) {
  if (c.kind == "user") return ParseUser(c.json).status();
  if (c.kind == "item") return ParseItem(c.json).status();
  if (c.kind == "feedback") return ParseFeedback(c.json).status();
  if (c.kind == "items") return ParseItems(c.json).status();
  if (c.kind == "feedbacks") return ParseFeedbackList(c.json).status();
  return ParseItemPatch(c.json).status();
}

TEST(GorseJson, ErrorsNameTheFieldAndTheProblem) {
  const std::string long_id(kMaxIdBytes + 1, 'x');
  const ErrorCase cases[] = {
      {"truncated", R"({"UserId":"a")", "user", "", "malformed JSON"},
      {"missing colon", R"({"UserId" "a"})", "user", "", "malformed JSON"},
      {"bad labels", R"({"UserId":"a","Labels":[tru]})", "user", "Labels",
       "Labels is not valid JSON"},
      {"unclosed string", R"({"UserId":"a)", "user", "", "malformed JSON"},
      {"trailing", R"({"UserId":"a"} x)", "user", "", "malformed JSON"},
      {"trailing object", R"({"UserId":"a"} {})", "user", "", "malformed JSON"},
      {"not object", R"([{"UserId":"a"}])", "user", "", "expected a JSON object"},
      {"not array", R"({"ItemId":"a"})", "items", "", "expected a JSON array"},
      {"missing id", R"({"Comment":"x"})", "user", "UserId", "UserId is missing"},
      {"null id", R"({"UserId":null})", "user", "UserId", "UserId is missing"},
      {"empty id", R"({"ItemId":""})", "item", "ItemId", "ItemId must not be empty"},
      {"long id", "{\"ItemId\":\"" + long_id + "\"}", "item", "ItemId", "longer than 256 bytes"},
      {"numeric id", R"({"UserId":12})", "user", "UserId", "UserId must be a string"},
      {"hidden type", R"({"ItemId":"a","IsHidden":"yes"})", "item", "IsHidden",
       "IsHidden must be a boolean"},
      {"categories type", R"({"ItemId":"a","Categories":"x"})", "item", "Categories",
       "Categories must be an array of strings"},
      {"category element", R"({"ItemId":"a","Categories":["x",1]})", "item", "Categories",
       "Categories must be an array of strings"},
      {"bad timestamp", R"({"ItemId":"a","Timestamp":"yesterday"})", "item", "Timestamp",
       "Timestamp is invalid: cannot parse timestamp \"yesterday\""},
      {"timestamp type", R"({"ItemId":"a","Timestamp":true})", "item", "Timestamp",
       "Timestamp must be an RFC 3339 string"},
      {"comment type", R"({"ItemId":"a","Comment":5})", "item", "Comment",
       "Comment must be a string"},
      {"value type", R"({"FeedbackType":"a","UserId":"u","ItemId":"i","Value":"5"})", "feedback",
       "Value", "Value must be a number"},
      {"missing type", R"({"UserId":"u","ItemId":"i"})", "feedback", "FeedbackType",
       "FeedbackType is missing"},
      {"missing item", R"({"FeedbackType":"a","UserId":"u"})", "feedback", "ItemId",
       "ItemId is missing"},
      {"array index", R"([{"ItemId":"a"},{"ItemId":"b"},{"ItemId":""}])", "items", "[2].ItemId",
       "[2].ItemId must not be empty"},
      {"array element type", R"([{"ItemId":"a"},3])", "items", "[1]", "[1] must be an object"},
      {"array nested field", R"([{"FeedbackType":"a","UserId":"u","ItemId":"i","Value":[]}])",
       "feedbacks", "[0].Value", "[0].Value must be a number"},
      {"patch type", R"({"IsHidden":1})", "itempatch", "IsHidden", "IsHidden must be a boolean"},
  };
  for (const auto& c : cases) {
    Status st = ParseAs(c);
    ASSERT_FALSE(st.ok()) << c.name;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(st.field(), c.field) << c.name << ": " << st.message();
    EXPECT_NE(st.message().find(c.message_part), std::string::npos)
        << c.name << ": got \"" << st.message() << "\"";
  }
}

// Times outside years 0000..9999 (which would overflow the microseconds) and times after the
// latest accepted one are errors naming the field; times inside both limits are accepted.
TEST(GorseJson, TimestampsAreRangeCheckedAndNotTooFarInTheFuture) {
  constexpr TimestampUs kNow = 1700000000LL * kMicrosPerSecond;
  ParseOptions options;
  options.default_timestamp = kNow;
  options.latest_timestamp = kNow + 86400 * kMicrosPerSecond;
  GorseJsonParser parser(options);
  struct Case {
    const char* name;
    std::string json;
    std::string kind;   // item, feedbacks, itempatch
    std::string field;  // "" = accepted
    std::string message_part;
  };
  const auto feedback = [](const std::string& ts) {
    return R"({"FeedbackType":"like","UserId":"u","ItemId":"i","Timestamp":)" + ts + "}";
  };
  const std::vector<Case> cases = {
      {"+9.5e12 s", feedback("9.5e12"), "feedback", "Timestamp", "Timestamp is out of range"},
      {"-9.5e12 s", feedback("-9.5e12"), "feedback", "Timestamp", "Timestamp is out of range"},
      {"1e300 s", feedback("1e300"), "feedback", "Timestamp", "Timestamp is out of range"},
      {"-1e19 s", feedback("-1e19"), "feedback", "Timestamp", "Timestamp is out of range"},
      {"int64 max s", feedback("9223372036854775807"), "feedback", "Timestamp",
       "Timestamp is out of range"},
      {"year 10000 by offset", R"({"ItemId":"a","Timestamp":"9999-12-31T23:59:59-01:00"})", "item",
       "Timestamp", "is out of range"},
      {"year -1 by offset", R"({"ItemId":"a","Timestamp":"0000-01-01T00:00:00+01:00"})", "item",
       "Timestamp", "is out of range"},
      {"far future string", feedback(R"("9999-12-31T00:00:00Z")"), "feedback", "Timestamp",
       "Timestamp is 9999-12-31T00:00:00Z, later than the latest accepted time "
       "2023-11-15T22:13:20Z (now + database.max_future_skew_seconds)"},
      {"two days ahead in seconds", feedback("1700172800"), "feedback", "Timestamp",
       "later than the latest accepted time"},
      {"far future item", R"({"ItemId":"a","Timestamp":"3000-01-01"})", "item", "Timestamp",
       "later than the latest accepted time"},
      {"far future patch", R"({"Timestamp":"3000-01-01"})", "itempatch", "Timestamp",
       "later than the latest accepted time"},
      {"far future in an array", "[" + feedback("1") + "," + feedback("32503680000") + "]",
       "feedbacks", "[1].Timestamp", "[1].Timestamp is 3000-01-01T00:00:00Z"},
      {"an hour ahead", feedback("1700003600"), "feedback", "", ""},
      {"exactly the latest", feedback("1700086400"), "feedback", "", ""},
      {"year 0000", R"({"ItemId":"a","Timestamp":"0000-01-01T00:00:00Z"})", "item", "", ""},
      {"negative seconds", feedback("-62167219200"), "feedback", "", ""},
  };
  ASSERT_FALSE(cases.empty());
  for (const Case& c : cases) {
    Status st;
    if (c.kind == "item") st = parser.ParseObject<Item>(c.json).status();
    if (c.kind == "feedback") st = parser.ParseObject<Feedback>(c.json).status();
    if (c.kind == "feedbacks") st = parser.ParseArray<Feedback>(c.json).status();
    if (c.kind == "itempatch") st = parser.ParseObject<ItemPatch>(c.json).status();
    if (c.field.empty()) {
      EXPECT_TRUE(st.ok()) << c.name << ": " << st.ToString();
      continue;
    }
    ASSERT_FALSE(st.ok()) << c.name;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(st.field(), c.field) << c.name << ": " << st.message();
    EXPECT_NE(st.message().find(c.message_part), std::string::npos)
        << c.name << ": got \"" << st.message() << "\"";
  }
}

TEST(GorseJson, ArrayWalkReportsEveryBadElementAndContinues) {
  std::string json = R"([{"ItemId":"a"},{"ItemId":1},{"ItemId":"c","IsHidden":0},{"ItemId":"d"}])";
  json.append(kJsonPadding, ' ');
  GorseJsonParser parser;
  std::vector<std::string> ok_ids, errors;
  Status st =
      parser.ForEachInArrayPadded<Item>(std::string_view(json.data(), json.size() - kJsonPadding),
                                        [&](size_t, size_t, Result<Item>&& r) {
                                          if (r.ok()) {
                                            ok_ids.push_back(r->item_id);
                                          } else {
                                            errors.push_back(r.status().field());
                                          }
                                        });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ok_ids, (std::vector<std::string>{"a", "d"}));
  EXPECT_EQ(errors, (std::vector<std::string>{"[1].ItemId", "[2].IsHidden"}));
}

// Its speed is measured by bench/ (import rows/s), not here.
TEST(GorseJson, AReusedParserParsesALargeBatchTwice) {
  constexpr int kRows = 200000;
  std::string json = "[";
  for (int i = 0; i < kRows; ++i) {
    if (i > 0) json += ",\n";
    json += R"({"FeedbackType":"read","UserId":"u)" + std::to_string(i % 5000) +
            R"(","ItemId":"i)" + std::to_string(i % 7919) +
            R"(","Value":1,"Timestamp":"2022-08-07T00:26:46Z","Comment":""})";
  }
  json += "]";
  // A parser is reused across requests and files; measure the steady state.
  GorseJsonParser parser;
  ASSERT_TRUE(parser.ParseArray<Feedback>(json).ok());
  auto parsed = parser.ParseArray<Feedback>(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), static_cast<size_t>(kRows));
  EXPECT_EQ((*parsed)[kRows - 1].item_id.substr(1), std::to_string((kRows - 1) % 7919));
  EXPECT_EQ((*parsed)[kRows - 1].user_id.substr(1), std::to_string((kRows - 1) % 5000));
}

TEST(GorseJson, ParserBuffersAreFreedAfterALargeInputOnlyAboveTheThreshold) {
  constexpr size_t kThreshold = 1 << 20;
  GorseJsonParser parser;
  ASSERT_TRUE(
      parser.ParseArray<Feedback>(R"([{"FeedbackType":"like","UserId":"u","ItemId":"i"}])").ok());
  EXPECT_FALSE(parser.ReleaseBuffersAbove(kThreshold));
  std::string big = "[";
  while (big.size() < 4 * kThreshold) {
    big += R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1","Timestamp":"2024-01-02"},)";
  }
  big.back() = ']';
  ASSERT_TRUE(parser.ParseArray<Feedback>(big).ok());
  EXPECT_GE(parser.buffer_capacity(), big.size());  // grown to the largest input
  EXPECT_TRUE(parser.ReleaseBuffersAbove(kThreshold));
  EXPECT_LT(parser.buffer_capacity(), kThreshold);
  // Still usable afterwards.
  auto rows = parser.ParseArray<Feedback>(R"([{"FeedbackType":"like","UserId":"u","ItemId":"i"}])");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
}

}  // namespace
}  // namespace reco::ingest
