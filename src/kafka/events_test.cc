#include "kafka/events.h"

#include <gtest/gtest.h>

namespace reco::kafka {
namespace {

TEST(EventParser, ReadsUpsertsUnderEveryNameAndABareItem) {
  EventParser parser;
  for (const char* op : {"upsert", "create", "update"}) {
    auto event = parser.ParseItemEvent(std::string(R"({"op":")") + op +
                                       R"(","item":{"ItemId":"i1","Categories":["books"]}})");
    ASSERT_TRUE(event.ok()) << op << ": " << event.status().ToString();
    const auto* upsert = std::get_if<ItemUpsert>(&*event);
    ASSERT_NE(upsert, nullptr) << op;
    EXPECT_EQ(upsert->item.item_id, "i1");
    EXPECT_EQ(upsert->item.categories, std::vector<std::string>{"books"});
  }
  auto bare = parser.ParseItemEvent(R"({"ItemId":"i2","IsHidden":true})");
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  ASSERT_TRUE(std::holds_alternative<ItemUpsert>(*bare));
  EXPECT_EQ(std::get<ItemUpsert>(*bare).item.item_id, "i2");
  EXPECT_TRUE(std::get<ItemUpsert>(*bare).item.is_hidden);
}

TEST(EventParser, ReadsADelete) {
  EventParser parser;
  auto event = parser.ParseItemEvent(R"({"op":"delete","item_id":"i9"})");
  ASSERT_TRUE(event.ok()) << event.status().ToString();
  ASSERT_TRUE(std::holds_alternative<ItemDelete>(*event));
  EXPECT_EQ(std::get<ItemDelete>(*event).item_id, "i9");
}

TEST(EventParser, NamesTheFieldOfEveryMalformedItemEvent) {
  EventParser parser;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "message"},
      {"[1,2]", "message"},
      {R"({"item":{"ItemId":"i1"}})", "op"},
      {R"({"op":"merge","item":{"ItemId":"i1"}})", "op"},
      {R"({"op":7})", "op"},
      {R"({"op":"upsert"})", "item"},
      {R"({"op":"upsert","item":{"Categories":[]}})", "item.ItemId"},
      {R"({"op":"upsert","item":{"ItemId":"i1","Timestamp":"yesterday"}})", "item.Timestamp"},
      {R"({"op":"delete"})", "item_id"},
      {R"({"op":"delete","item_id":""})", "item_id"},
      {R"({"op":"upsert","item":{"ItemId":"i1"},"extra":1})", "extra"},
  };
  for (const auto& [payload, field] : cases) {
    auto event = parser.ParseItemEvent(payload);
    ASSERT_FALSE(event.ok()) << payload;
    EXPECT_EQ(event.status().code(), StatusCode::kInvalidArgument) << payload;
    EXPECT_EQ(event.status().field(), field) << payload << ": " << event.status().ToString();
    EXPECT_EQ(event.status().message().rfind(field, 0), 0u)
        << payload << ": the message starts with the field: " << event.status().message();
  }
}

TEST(EventParser, ReadsFeedbackAndNamesItsBadField) {
  EventParser parser;
  auto row = parser.ParseFeedbackEvent(
      R"({"FeedbackType":"click","UserId":"u1","ItemId":"i1","Timestamp":"2026-11-24T03:00:00Z"})");
  ASSERT_TRUE(row.ok()) << row.status().ToString();
  EXPECT_EQ(row->feedback_type, "click");
  EXPECT_EQ(row->user_id, "u1");
  EXPECT_EQ(row->item_id, "i1");
  auto bad = parser.ParseFeedbackEvent(R"({"FeedbackType":"click","ItemId":"i1"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "UserId") << bad.status().ToString();
}

}  // namespace
}  // namespace reco::kafka
