#include "store/sqlite/encoding.h"

#include <gtest/gtest.h>

namespace reco::sqlite {
namespace {

TEST(Cursor, IdCursorRoundTripsAnyBytes) {
  for (const std::string& id : std::vector<std::string>{"a", "user:42", std::string("x\0y", 3),
                                                        "ünïcode/тест", "ab", "abc"}) {
    auto decoded = DecodeIdCursor('u', EncodeIdCursor('u', id));
    ASSERT_TRUE(decoded.ok()) << id;
    EXPECT_EQ(*decoded, id);
  }
}

TEST(Cursor, RejectsOtherKindsAndGarbage) {
  EXPECT_EQ(DecodeIdCursor('i', EncodeIdCursor('u', "a")).status().field(), "cursor");
  EXPECT_FALSE(DecodeIdCursor('u', "!!!").ok());
  EXPECT_FALSE(DecodeIdCursor('u', EncodeIdCursor('u', "")).ok());
  EXPECT_FALSE(DecodeFeedbackCursor(EncodeIdCursor('f', "1,2")).ok());
  EXPECT_FALSE(DecodeFeedbackCursor(EncodeIdCursor('f', "1,2,x")).ok());
  EXPECT_FALSE(DecodeFeedbackCursor(EncodeIdCursor('f', "1,2,3,")).ok());
  EXPECT_FALSE(DecodeFeedbackCursor(EncodeIdCursor('f', "1,-2,3")).ok());
}

TEST(Cursor, FeedbackCursorRoundTrips) {
  FeedbackKey key = {12, 0, 9'000'000'000};
  auto decoded = DecodeFeedbackCursor(EncodeFeedbackCursor(key));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, key);
}

TEST(StringArray, RoundTripsEscapes) {
  std::vector<std::string> values = {
      "", "plain", "q\"uote", "back\\slash", "tab\tnl\n", std::string("\x01", 1), "é漢字"};
  auto decoded = DecodeStringArray(EncodeStringArray(values));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, values);
}

TEST(StringArray, ParsesForeignJsonAndRejectsOtherShapes) {
  auto decoded = DecodeStringArray(R"( [ "a" , "\u00e9\ud83d\ude00" ] )");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, (std::vector<std::string>{"a", "é😀"}));
  EXPECT_TRUE(DecodeStringArray("null")->empty());
  EXPECT_EQ(DecodeStringArray("[1]").status().code(), StatusCode::kDataLoss);
  EXPECT_FALSE(DecodeStringArray(R"(["a")").ok());
  EXPECT_FALSE(DecodeStringArray(R"(["a"] x)").ok());
}

}  // namespace
}  // namespace reco::sqlite
