#include "content/text_features.h"

#include <gtest/gtest.h>

namespace reco::content {
namespace {

using Strings = std::vector<std::string>;

TEST(TextWords, SplitsOnPunctuationAndLowercasesAscii) {
  EXPECT_EQ(TextWords("Toy Story (1995), The-Movie!"),
            (Strings{"toy", "story", "1995", "the", "movie"}));
}

TEST(TextWords, SeparatesCjkRunsFromLatinAndAtChinesePunctuation) {
  EXPECT_EQ(TextWords("iPhone手机，机器学习。"), (Strings{"iphone", "手机", "机器学习"}));
}

TEST(TextWords, SkipsInvalidUtf8BytesAlone) {
  EXPECT_EQ(TextWords(std::string("ab\xff"
                                  "cd")),
            (Strings{"ab", "cd"}));
  EXPECT_EQ(TextWords(std::string("\xe6\x9c")), Strings{});  // truncated sequence
}

TEST(TextFeatures, ChineseTextGivesCharacterBigramsAndTrigrams) {
  EXPECT_EQ(TextFeatures("机器学习", {.ngram_min = 2, .ngram_max = 3}),
            (Strings{"w:机器学习", "c:机器", "c:器学", "c:学习", "c:机器学", "c:器学习"}));
}

TEST(TextFeatures, WordsShorterThanTheSmallestGramGiveTheirWordOnly) {
  EXPECT_EQ(TextFeatures("猫 a", {.ngram_min = 2, .ngram_max = 3}), (Strings{"w:猫", "w:a"}));
}

TEST(TextFeatures, LatinWordsGetGramsToo) {
  EXPECT_EQ(TextFeatures("Star", {.ngram_min = 3, .ngram_max = 4}),
            (Strings{"w:star", "c:sta", "c:tar", "c:star"}));
}

TEST(TextFeatures, RepeatsAreKeptAsCounts) {
  EXPECT_EQ(TextFeatures("go go", {.ngram_min = 2, .ngram_max = 2}),
            (Strings{"w:go", "c:go", "w:go", "c:go"}));
}

TEST(TextFeatureOptions, ValidationNamesTheKey) {
  Status bad = ValidateTextFeatureOptions({.ngram_min = 3, .ngram_max = 2});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.field(), "content.text_ngram_min");
  bad = ValidateTextFeatureOptions({.ngram_min = 1, .ngram_max = 9});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.field(), "content.text_ngram_max");
  EXPECT_TRUE(ValidateTextFeatureOptions({.ngram_min = 1, .ngram_max = 1}).ok());
}

TEST(ItemText, TitleFirstThenLabelValuesCategoriesAndCommentWithoutTheVector) {
  Item item;
  item.item_id = "1";
  item.labels_json =
      R"({"genre": ["Comedy", "Drama"], "title": "Toy Story", "year": 1995, "embedding": [0.5, 1]})";
  item.categories = {"Animation"};
  item.comment = "a toy's story";
  EXPECT_EQ(ItemText(item), "Toy Story\nComedy\nDrama\nAnimation\na toy's story");
}

TEST(ItemText, ArrayLabelsAndUnparsableLabels) {
  Item item;
  item.labels_json = R"(["new", "sale"])";
  EXPECT_EQ(ItemText(item), "new\nsale");
  item.labels_json = "{not json";
  item.comment = "c";
  EXPECT_EQ(ItemText(item), "c");
}

}  // namespace
}  // namespace reco::content
