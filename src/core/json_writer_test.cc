#include "core/json_writer.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

TEST(JsonWriter, WritesNestedValuesWithCommas) {
  JsonWriter w;
  w.BeginObject().Key("Id").String("a\"b\\c\n").Key("Score").Double(1.5).Key("N").Int(-3);
  w.Key("L").StringArray({"x", "y"}).Key("B").Bool(true).Key("Z").Null();
  w.Key("R").Raw("{\"k\":[1,2]}").Key("T").Timestamp(0).EndObject();
  EXPECT_EQ(w.str(),
            "{\"Id\":\"a\\\"b\\\\c\\n\",\"Score\":1.5,\"N\":-3,\"L\":[\"x\",\"y\"],\"B\":true,"
            "\"Z\":null,\"R\":{\"k\":[1,2]},\"T\":\"1970-01-01T00:00:00Z\"}");
}

TEST(JsonWriter, EscapesControlCharactersAndKeepsUtf8) {
  std::string out;
  AppendJsonString(out, std::string("\x01") + "推荐");
  EXPECT_EQ(out, "\"\\u0001推荐\"");
}

TEST(JsonWriter, FloatsUseTheShortestFloatForm) {
  JsonWriter w;
  w.BeginArray().Float(104.652f).Float(0.1f).EndArray();
  EXPECT_EQ(w.str(), "[104.652,0.1]");
}

TEST(JsonWriter, NonFiniteDoublesBecomeNull) {
  JsonWriter w;
  w.BeginArray().Double(1.0 / 0.0).EndArray();
  EXPECT_EQ(w.str(), "[null]");
}

}  // namespace
}  // namespace reco

namespace reco {
namespace {

TEST(JsonWriter, TimestampOrNullWritesNullForUnset) {
  JsonWriter w;
  w.BeginObject().Key("a").TimestampOrNull(0).Key("b").TimestampOrNull(1'000'000);
  w.EndObject();
  EXPECT_EQ(w.Take(), R"({"a":null,"b":"1970-01-01T00:00:01Z"})");
}

}  // namespace
}  // namespace reco
