#include "serving/scenario.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "serving/item_labels.h"
#include "serving/scenario_rerank.h"
#include "serving/session_pages.h"

namespace reco {
namespace {

struct BadCase {
  const char* json;
  const char* field;
  const char* message_part;
};

TEST(ScenarioParse, BadInputNamesTheField) {
  const BadCase cases[] = {
      {R"({"recall":[{"source":"popular"},{"source":"itemcf"},{"source":"foo"}]})",
       "recall[2].source", "unknown source \"foo\""},
      {R"({"recall":[{"source":"vectors","quota":10}]})", "recall[0].source",
       "unknown source \"vectors\""},
      {R"({"filters":{}})", "recall", "is required"},
      {R"({"recall":[]})", "recall", "at least one source"},
      {R"({"recall":{"source":"popular"}})", "recall", "must be an array"},
      {R"({"recall":[{"quota":3}]})", "recall[0].source", "is required"},
      {R"({"recall":[{"source":"popular","quota":0}]})", "recall[0].quota", "1..10000"},
      {R"({"recall":[{"source":"popular","quota":"many"}]})", "recall[0].quota", "integer"},
      {R"({"recall":[{"source":"popular","quota":2.5}]})", "recall[0].quota", "integer"},
      {R"({"recall":[{"source":"popular","weight":1}]})", "recall[0].weight", "unknown field"},
      {R"({"recall":[{"source":"popular"},{"source":"hot"}]})", "recall[1].source", "listed twice"},
      {R"({"recall":[{"source":"popular"}],"filters":{"labels_match":"some"}})",
       "filters.labels_match", "\"any\" or \"all\""},
      {R"({"recall":[{"source":"popular"}],"filters":{"colour":"red"}})", "filters.colour",
       "unknown field"},
      {R"({"recall":[{"source":"popular"}],"filters":{"exclude_hidden":false}})",
       "filters.exclude_hidden", "never served"},
      {R"({"recall":[{"source":"popular"}],"filters":{"categories":[1]}})", "filters.categories[0]",
       "non-empty string"},
      {R"({"recall":[{"source":"popular"}],"filters":{"exclude_seen":"yes"}})",
       "filters.exclude_seen", "true or false"},
      {R"({"recall":[{"source":"popular"}],"rerank":{"kind":"shuffle"}})", "rerank.kind",
       "unknown rerank"},
      {R"({"recall":[{"source":"popular"}],"rerank":{"kind":"mmr","lambda":2}})", "rerank.lambda",
       "[0, 1]"},
      {R"({"recall":[{"source":"popular"}],"rerank":{"window":0}})", "rerank.window", "1..1000"},
      {R"({"recall":[{"source":"popular"}],"ranker":"deep"})", "ranker", "unknown ranker"},
      {R"({"recall":[{"source":"popular"}],"fallback":["clip"]})", "fallback[0]",
       "unknown source"},
      {R"({"recall":[{"source":"popular"}],"fallback":["latest","latest"]})", "fallback[1]",
       "listed twice"},
      {R"({"recall":[{"source":"popular"}],"colour":"red"})", "colour", "unknown field"},
      {R"({"name":"other","recall":[{"source":"popular"}]})", "name", "\"other\""},
      {R"(not json)", "body", "not valid JSON"},
      {R"([1,2])", "body", "JSON object"},
  };
  for (const BadCase& c : cases) {
    Result<ScenarioConfig> r = ParseScenario(c.json, "home");
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(r.status().field(), c.field) << c.json << " -> " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.message_part), std::string::npos)
        << c.json << " -> " << r.status().message();
  }
}

TEST(ScenarioParse, VectorSourceRoundTrips) {
  Result<ScenarioConfig> s = ParseScenario(
      R"({"recall":[{"source":"vector","quota":30}],"fallback":["vector","popular"]})", "v");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->recall.size(), 1u);
  EXPECT_EQ(s->recall[0].source, RecallSourceKind::kVector);
  EXPECT_EQ(s->recall[0].quota, 30);
  EXPECT_EQ(s->fallback.front(), RecallSourceKind::kVector);
  Result<ScenarioConfig> back = ParseScenario(ScenarioToJson(*s), "v");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->recall[0].source, RecallSourceKind::kVector);
}

TEST(ScenarioParse, NamesAreChecked) {
  for (const char* name : {"", "has space", "popular", "recommend", "latest", "a/b"}) {
    Result<ScenarioConfig> r = ParseScenario(R"({"recall":[{"source":"popular"}]})", name);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().field(), "name") << name;
  }
  EXPECT_TRUE(ParseScenario(R"({"recall":[{"source":"popular"}]})", "home_feed-2.b").ok());
}

TEST(ScenarioParse, FieldsAndDefaults) {
  Result<ScenarioConfig> r = ParseScenario(
      R"({"name":"home","description":"d","recall":[{"source":"itemcf","quota":30},
          {"source":"hot"}],"filters":{"categories":["books"],"labels":["a","b"],
          "labels_match":"all","exclude_seen":false,"session_dedup":false},"ranker":"ranker",
          "rerank":{"kind":"diversity","window":8,"max_per_category":3},
          "fallback":["latest"]})",
      "home");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ScenarioConfig& s = *r;
  ASSERT_EQ(s.recall.size(), 2u);
  EXPECT_EQ(s.recall[0].source, RecallSourceKind::kItemCf);
  EXPECT_EQ(s.recall[0].quota, 30);
  EXPECT_EQ(s.recall[1].source, RecallSourceKind::kPopular);  // "hot"
  EXPECT_EQ(s.recall[1].quota, 50);                           // default
  EXPECT_EQ(s.filters.categories, std::vector<std::string>{"books"});
  EXPECT_EQ(s.filters.labels_match, LabelMatch::kAll);
  EXPECT_FALSE(s.filters.exclude_seen);
  EXPECT_FALSE(s.filters.session_dedup);
  EXPECT_EQ(s.ranker, RankerKind::kLearned);
  EXPECT_EQ(s.rerank.kind, RerankKind::kDiversity);
  EXPECT_EQ(s.rerank.window, 8);
  EXPECT_EQ(s.rerank.max_per_category, 3);
  EXPECT_EQ(s.fallback, std::vector<RecallSourceKind>{RecallSourceKind::kLatest});
  // What is written reads back the same.
  const std::string json = ScenarioToJson(s);
  Result<ScenarioConfig> again = ParseScenario(json, "home");
  ASSERT_TRUE(again.ok()) << again.status().ToString() << json;
  EXPECT_EQ(ScenarioToJson(*again), json);
}

TEST(ScenarioTemplates, EachParsesBackAndInstantiates) {
  ASSERT_EQ(BuiltInTemplates().size(), 3u);
  for (const ScenarioTemplate& t : BuiltInTemplates()) {
    Result<ScenarioConfig> again = ParseScenario(ScenarioToJson(t.scenario), t.name);
    ASSERT_TRUE(again.ok()) << t.name << ": " << again.status().ToString();
    EXPECT_FALSE(t.title.empty());
    EXPECT_FALSE(t.scenario.recall.empty());
  }
  EXPECT_NE(FindTemplate("ecommerce_home_feed"), nullptr);
  EXPECT_NE(FindTemplate("content_detail"), nullptr);
  EXPECT_NE(FindTemplate("new_user_onboarding"), nullptr);
  EXPECT_EQ(FindTemplate("nope"), nullptr);
}

TEST(ScenarioTemplates, NewScenarioFromATemplateTakesItsFieldsAndEdits) {
  Result<ScenarioConfig> r = ParseNewScenario(
      R"({"template":"ecommerce_home_feed","name":"home","rerank":{"kind":"mmr"}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ScenarioConfig& t = FindTemplate("ecommerce_home_feed")->scenario;
  EXPECT_EQ(r->name, "home");
  EXPECT_EQ(r->template_name, "ecommerce_home_feed");
  ASSERT_EQ(r->recall.size(), t.recall.size());
  EXPECT_EQ(r->recall[0].source, t.recall[0].source);
  EXPECT_EQ(r->rerank.kind, RerankKind::kMmr);
  EXPECT_EQ(r->rerank.window, t.rerank.window);  // kept from the template

  Result<ScenarioConfig> bad = ParseNewScenario(R"({"template":"shop","name":"home"})");
  EXPECT_EQ(bad.status().field(), "template");
  EXPECT_NE(bad.status().message().find("ecommerce_home_feed"), std::string::npos);
  EXPECT_EQ(ParseNewScenario(R"({"template":"content_detail"})").status().field(), "name");
  EXPECT_EQ(ParseNewScenario(R"({"name":"x"})").status().field(), "recall");
  EXPECT_TRUE(ParseNewScenario(R"({"name":"x","recall":[{"source":"latest"}]})").ok());
}

std::vector<std::span<const uint32_t>> Spans(const std::vector<std::vector<uint32_t>>& cats) {
  return std::vector<std::span<const uint32_t>>(cats.begin(), cats.end());
}

TEST(ScenarioRerank, DiversityCapsEachCategoryInTheWindow) {
  // Categories: 0 0 0 1 1 2 (items in relevance order).
  const std::vector<std::vector<uint32_t>> cats = {{0}, {0}, {0}, {1}, {1}, {2}};
  EXPECT_EQ(DiversityOrder(Spans(cats), 4, 1), (std::vector<uint32_t>{0, 3, 5, 1, 2, 4}));
  EXPECT_EQ(DiversityOrder(Spans(cats), 4, 2), (std::vector<uint32_t>{0, 1, 3, 4, 2, 5}));
  // Nothing qualifies any more: the first remaining item is placed, the list keeps its length.
  const std::vector<std::vector<uint32_t>> same = {{0}, {0}, {0}};
  EXPECT_EQ(DiversityOrder(Spans(same), 3, 1), (std::vector<uint32_t>{0, 1, 2}));
  // Items without categories are never capped.
  const std::vector<std::vector<uint32_t>> none = {{}, {}, {0}};
  EXPECT_EQ(DiversityOrder(Spans(none), 3, 1), (std::vector<uint32_t>{0, 1, 2}));
}

TEST(ScenarioRerank, MmrTradesRelevanceForVariety) {
  const std::vector<std::vector<uint32_t>> cats = {{0}, {0}, {1}, {0, 1}};
  // lambda 1: relevance alone, the order stays.
  EXPECT_EQ(MmrOrder(Spans(cats), 4, 1.0), (std::vector<uint32_t>{0, 1, 2, 3}));
  // lambda 0: after item 0, the item least like it (2, category 1) comes next.
  EXPECT_EQ(MmrOrder(Spans(cats), 2, 0.0), (std::vector<uint32_t>{0, 2, 1, 3}));
  EXPECT_DOUBLE_EQ(CategoryJaccard(cats[0], cats[3]), 0.5);
  EXPECT_DOUBLE_EQ(CategoryJaccard(cats[0], cats[2]), 0.0);
  EXPECT_DOUBLE_EQ(CategoryJaccard({}, cats[2]), 0.0);
}

TEST(ItemLabels, ArraysAndObjects) {
  EXPECT_EQ(ItemLabels(R"(["a","b",3])"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(
      ItemLabels(R"({"brand":"acme","tags":["new","sale"],"featured":true,"off":false,"n":3})"),
      (std::vector<std::string>{"brand:acme", "tags:new", "tags:sale", "featured"}));
  EXPECT_TRUE(ItemLabels("null").empty());
  EXPECT_TRUE(ItemLabels("not json").empty());
  EXPECT_TRUE(ItemLabels("").empty());
}

TEST(SessionPages, RemembersBoundedSessionsAndItems) {
  SessionPages pages({.max_sessions = 2, .max_items = 3});
  const std::string k1 = SessionPages::Key("u", "home", "s1");
  std::vector<std::string_view> first = {"a", "b"};
  pages.Add(k1, first);
  EXPECT_EQ(pages.Shown(k1), (std::vector<std::string>{"a", "b"}));
  std::vector<std::string_view> second = {"c", "d"};
  pages.Add(k1, second);
  EXPECT_EQ(pages.Shown(k1), (std::vector<std::string>{"b", "c", "d"}));   // oldest dropped
  EXPECT_TRUE(pages.Shown(SessionPages::Key("v", "home", "s1")).empty());  // another user
  pages.Add(SessionPages::Key("u", "home", "s2"), first);
  pages.Add(SessionPages::Key("u", "home", "s3"), first);
  EXPECT_EQ(pages.sessions(), 2u);
  EXPECT_TRUE(pages.Shown(k1).empty());  // the session started longest ago was forgotten
}

}  // namespace
}  // namespace reco
