#include "content/vectors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace reco::content {
namespace {

TEST(ValidateVector, ChecksDimensionFinitenessAndZero) {
  const std::vector<float> ok = {0.5f, -1.0f, 2.0f};
  EXPECT_TRUE(ValidateVector(ok, 3, "Vector").ok());
  EXPECT_TRUE(ValidateVector(ok, 0, "Vector").ok());
  Status st = ValidateVector(ok, 4, "Vector");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "Vector");
  EXPECT_NE(st.message().find("dimension 4"), std::string::npos) << st.message();
  const std::vector<float> nan = {1.0f, std::numeric_limits<float>::quiet_NaN()};
  st = ValidateVector(nan, 2, "Vector");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("Vector[1]"), std::string::npos) << st.message();
  const std::vector<float> inf = {std::numeric_limits<float>::infinity()};
  EXPECT_FALSE(ValidateVector(inf, 0, "Vector").ok());
  const std::vector<float> zeros = {0.0f, 0.0f};
  EXPECT_FALSE(ValidateVector(zeros, 2, "Vector").ok());
  EXPECT_FALSE(ValidateVector({}, 0, "Vector").ok());
}

TEST(SuppliedVector, ReadsGorsesEmbeddingLabel) {
  auto v = SuppliedVector(R"({"embedding": [1, 0.5, -2], "tag": "x"})", "embedding", 0,
                          "Labels.embedding");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, (std::vector<float>{1.0f, 0.5f, -2.0f}));
  auto none = SuppliedVector(R"({"tag": "x"})", "embedding", 0, "Labels.embedding");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto array_labels = SuppliedVector(R"(["a"])", "embedding", 0, "Labels.embedding");
  ASSERT_TRUE(array_labels.ok());
  EXPECT_FALSE(array_labels->has_value());
}

TEST(SuppliedVector, BadValuesNameTheField) {
  auto text = SuppliedVector(R"({"embedding": "1,2"})", "embedding", 0, "Labels.embedding");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().field(), "Labels.embedding");
  auto mixed = SuppliedVector(R"({"embedding": [1, "x"]})", "embedding", 0, "Labels.embedding");
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("Labels.embedding[1]"), std::string::npos);
  auto size = SuppliedVector(R"({"embedding": [1, 2]})", "embedding", 3, "Labels.embedding");
  ASSERT_FALSE(size.ok());
  EXPECT_NE(size.status().message().find("dimension 3"), std::string::npos);
}

TEST(WithVectorLabel, ReplacesOnlyTheVectorLabel) {
  auto labels = WithVectorLabel(R"({"title": "Toy \"Story\"", "embedding": [9], "n": 1})",
                                "embedding", std::vector<float>{0.5f, 1.0f}, "Vector");
  ASSERT_TRUE(labels.ok()) << labels.status().ToString();
  EXPECT_EQ(*labels, R"({"title":"Toy \"Story\"","n":1,"embedding":[0.5,1]})");
  auto from_null = WithVectorLabel("null", "embedding", std::vector<float>{2.0f}, "Vector");
  ASSERT_TRUE(from_null.ok());
  EXPECT_EQ(*from_null, R"({"embedding":[2]})");
  auto from_array = WithVectorLabel(R"(["a"])", "embedding", std::vector<float>{2.0f}, "Vector");
  ASSERT_FALSE(from_array.ok());
  EXPECT_EQ(from_array.status().field(), "Vector");
}

}  // namespace
}  // namespace reco::content
