#include "gateway/alert_payload.h"

#include <gtest/gtest.h>

#include <string>

namespace reco::gateway {
namespace {

// A valid v4 payload with two alerts; `alert2_starts` replaces the second alert's startsAt.
std::string Payload(const std::string& alert2_starts = "\"2024-01-02T03:04:05Z\"") {
  return R"({"version":"4","groupKey":"{}:{alertname=\"X\"}","truncatedAlerts":1,
    "status":"firing","receiver":"team-a",
    "groupLabels":{"alertname":"X"},"commonLabels":{"alertname":"X"},
    "commonAnnotations":{"summary":"s"},"externalURL":"http://am:9093",
    "alerts":[
      {"status":"firing","labels":{"alertname":"X","severity":"critical","instance":"h:1"},
       "annotations":{"summary":"down","description":"d"},
       "startsAt":"2024-01-02T03:04:05Z","endsAt":"0001-01-01T00:00:00Z",
       "generatorURL":"http://prom/graph","fingerprint":"abc"},
      {"status":"resolved","labels":{"alertname":"X"},"startsAt":)" +
         alert2_starts + R"(,"endsAt":"2024-01-02T04:00:00Z"}]})";
}

TEST(AlertPayloadTest, ParsesEveryField) {
  Result<AlertPayload> p = ParseAlertPayload(Payload());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->version, "4");
  EXPECT_EQ(p->status, "firing");
  EXPECT_EQ(p->receiver, "team-a");
  EXPECT_EQ(p->truncated_alerts, 1);
  EXPECT_EQ(p->external_url, "http://am:9093");
  EXPECT_EQ(p->group_labels.at("alertname"), "X");
  EXPECT_EQ(p->common_annotations.at("summary"), "s");
  ASSERT_EQ(p->alerts.size(), 2u);
  const Alert& a = p->alerts[0];
  EXPECT_TRUE(a.firing());
  EXPECT_EQ(a.Label("severity"), "critical");
  EXPECT_EQ(a.Annotation("description"), "d");
  EXPECT_EQ(a.generator_url, "http://prom/graph");
  EXPECT_EQ(a.fingerprint, "abc");
  EXPECT_EQ(FormatTimestamp(a.starts_at), "2024-01-02T03:04:05Z");
  EXPECT_FALSE(p->alerts[1].firing());
  EXPECT_EQ(FormatTimestamp(p->alerts[1].ends_at), "2024-01-02T04:00:00Z");
}

struct BadCase {
  std::string body;
  std::string field;
};

TEST(AlertPayloadTest, EachBadFieldIsNamed) {
  const std::string ok = Payload();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = ok;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  };
  const std::vector<BadCase> cases = {
      {"not json", "body"},
      {"[1]", "body"},
      {replace(R"("version":"4")", R"("version":"3")"), "version"},
      {replace(R"("version":"4",)", ""), "version"},
      {replace(R"("status":"firing","receiver")", R"("status":"bad","receiver")"), "status"},
      {replace(R"("receiver":"team-a")", R"("receiver":7)"), "receiver"},
      {replace(R"("receiver":"team-a")", R"("receiver":"")"), "receiver"},
      {replace(R"("groupLabels":{"alertname":"X"})", R"("groupLabels":[])"), "groupLabels"},
      {replace(R"("commonLabels":{"alertname":"X"})", R"("commonLabels":{"a":1})"),
       "commonLabels.a"},
      {replace(R"("commonAnnotations":{"summary":"s"})", R"("commonAnnotations":3)"),
       "commonAnnotations"},
      {replace(R"("externalURL":"http://am:9093")", R"("externalURL":false)"), "externalURL"},
      {replace(R"("truncatedAlerts":1)", R"("truncatedAlerts":-1)"), "truncatedAlerts"},
      {Payload("\"yesterday\""), "alerts[1].startsAt"},
      {Payload("5"), "alerts[1].startsAt"},
      {replace(R"("status":"firing","labels")", R"("status":"x","labels")"), "alerts[0].status"},
      {replace(R"("labels":{"alertname":"X","severity")", R"("labels":[],"x":{"severity")"),
       "alerts[0].labels"},
      {replace(R"("annotations":{"summary":"down")", R"("annotations":{"summary":1)"),
       "alerts[0].annotations.summary"},
      {replace(R"("endsAt":"0001-01-01T00:00:00Z")", R"("endsAt":"soon")"), "alerts[0].endsAt"},
      {replace(R"("generatorURL":"http://prom/graph")", R"("generatorURL":1)"),
       "alerts[0].generatorURL"},
      {replace(R"("fingerprint":"abc")", R"("fingerprint":{})"), "alerts[0].fingerprint"},
  };
  ASSERT_FALSE(cases.empty());
  for (const BadCase& c : cases) {
    Result<AlertPayload> p = ParseAlertPayload(c.body);
    ASSERT_FALSE(p.ok()) << c.field;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(p.status().field(), c.field) << p.status().message();
  }
}

TEST(AlertPayloadTest, AlertsMustBeANonEmptyArrayOfObjects) {
  const std::string head = R"({"version":"4","status":"firing","receiver":"r",)";
  EXPECT_EQ(ParseAlertPayload(head + R"("x":1})").status().field(), "alerts");
  EXPECT_EQ(ParseAlertPayload(head + R"("alerts":{}})").status().field(), "alerts");
  EXPECT_EQ(ParseAlertPayload(head + R"("alerts":[]})").status().field(), "alerts");
  EXPECT_EQ(ParseAlertPayload(head + R"("alerts":[1]})").status().field(), "alerts[0]");
  EXPECT_EQ(ParseAlertPayload(head + R"("alerts":[{"status":"firing","labels":{}}]})")
                .status()
                .field(),
            "alerts[0].startsAt");
}

}  // namespace
}  // namespace reco::gateway
