#include "service/analytics_service.h"

#include <gtest/gtest.h>
#include <sys/time.h>

#include <fstream>

#include "data/testing/temp_dir.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco::service {
namespace {

namespace fs = std::filesystem;

TimestampUs At(std::string_view text) { return ParseTimestamp(text).value(); }

// The hand-written log of the tests, oldest file first. Every figure the tests expect is
// worked out by hand from these lines and the feedback of SetUp:
//   L0 2026-11-10 u1 home   v1 primary            [i9]        before the window
//   L1 11-22 10:00 u1 home  v1 primary exp1=a      [i1 i2 i3]  click i2 10:30, click i3 12:00
//   L2 11-22 11:00 u2 home  v1 primary             [i1 i4]     click i4 11-24 12:00: too late
//   L3 11-23 09:00 u1 detail v2 canary exp1=b      [i2 i5]     like i5 09:30 (positive, no click)
//   (a line that is not JSON)
//   L4 11-23 12:00 u3 home  v2 canary              [i1 i2]     click i1 12:30, purchase i1 13:00
//   L5 11-26 00:00 u4 home  v2 canary              [i1]        after the window
constexpr std::string_view kRotated2 =
    R"({"ts":"2026-11-10T00:00:00Z","request_id":"r0","user_id":"u1","scenario":"home",)"
    R"("model_version":"v1","variant":"primary","items":["i9"]})"
    "\n";
constexpr std::string_view kRotated1 =
    R"({"ts":"2026-11-22T10:00:00Z","request_id":"r1","user_id":"u1","scenario":"home",)"
    R"("model_version":"v1","variant":"primary","experiments":{"exp1":"a"},)"
    R"("items":["i1","i2","i3"]})"
    "\n"
    R"({"ts":"2026-11-22T11:00:00Z","request_id":"r2","user_id":"u2","scenario":"home",)"
    R"("model_version":"v1","variant":"primary","items":["i1","i4"]})"
    "\n";
constexpr std::string_view kLive =
    R"({"ts":"2026-11-23T09:00:00Z","request_id":"r3","user_id":"u1","scenario":"detail",)"
    R"("model_version":"v2","variant":"canary","experiments":{"exp1":"b"},"items":["i2","i5"]})"
    "\n"
    R"({"ts":"2026-11-23T10:00:00Z","user_id":"cut by a cra)"
    "\n"
    R"({"ts":"2026-11-23T12:00:00Z","request_id":"r4","user_id":"u3","scenario":"home",)"
    R"("model_version":"v2","variant":"canary","items":["i1","i2"]})"
    "\n"
    R"({"ts":"2026-11-26T00:00:00Z","request_id":"r5","user_id":"u4","scenario":"home",)"
    R"("model_version":"v2","variant":"canary","items":["i1"]})"
    "\n";

class AnalyticsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(reco::testing::OpenTempSqliteStore(dir_.path(), &store_));
    fs::create_directories(Log().parent_path());
    std::ofstream(Log().string() + ".2") << kRotated2;
    std::ofstream(Log().string() + ".1") << kRotated1;
    std::ofstream(Log()) << kLive;
    std::vector<Item> items;
    for (std::string id : {"i1", "i2", "i3", "i4", "i5", "i6", "i7"}) {
      items.push_back({.item_id = id, .is_hidden = id == "i7"});
    }
    ASSERT_TRUE(store_->InsertItems(items).ok());
    std::vector<Feedback> feedback = {
        {.feedback_type = "click",
         .user_id = "u1",
         .item_id = "i2",
         .timestamp = At("2026-11-22T10:30:00Z")},
        {.feedback_type = "click",
         .user_id = "u1",
         .item_id = "i3",
         .timestamp = At("2026-11-22T12:00:00Z")},
        {.feedback_type = "click",
         .user_id = "u2",
         .item_id = "i4",
         .timestamp = At("2026-11-24T12:00:00Z")},
        {.feedback_type = "like",
         .user_id = "u1",
         .item_id = "i5",
         .timestamp = At("2026-11-23T09:30:00Z")},
        {.feedback_type = "click",
         .user_id = "u3",
         .item_id = "i1",
         .timestamp = At("2026-11-23T12:30:00Z")},
        {.feedback_type = "purchase",
         .user_id = "u3",
         .item_id = "i1",
         .timestamp = At("2026-11-23T13:00:00Z")},
        {.feedback_type = "read",
         .user_id = "u2",
         .item_id = "i1",
         .timestamp = At("2026-11-22T11:10:00Z")},
    };
    ASSERT_TRUE(store_->InsertFeedback(feedback, {}).ok());
    service_ = std::make_unique<AnalyticsService>(
        *store_, clock_,
        AnalyticsServiceOptions{.exposure_log = Log(), .flush_log = [this] { ++flushes_; }});
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
  }
  fs::path Log() const { return dir_.path() / "evaluation" / "exposure_log.jsonl"; }

  static AnalyticsRange Window() {
    return {.from = "2026-11-20", .to = "2026-11-24", .conversion_types = {"purchase"}};
  }

  reco::testing::TempDir dir_{"analytics_service"};
  std::unique_ptr<Store> store_;
  FakeClock clock_{At("2026-11-24T03:00:00Z")};
  int flushes_ = 0;
  std::unique_ptr<AnalyticsService> service_;
};

void ExpectCounts(const AnalyticsCounts& c, int64_t exposures, int64_t users, int64_t impressions,
                  int64_t clicks, int64_t clicked_items, int64_t conversions) {
  EXPECT_EQ(c.exposures, exposures);
  EXPECT_EQ(c.exposed_users, users);
  EXPECT_EQ(c.impressions, impressions);
  EXPECT_EQ(c.clicks, clicks);
  EXPECT_EQ(c.clicked_items, clicked_items);
  EXPECT_EQ(c.conversions, conversions);
}

TEST_F(AnalyticsServiceTest, TotalsOfTheWindowFromRotatedFilesSkipAMalformedLine) {
  auto s = service_->Summary({}, Window());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(flushes_, 1);
  EXPECT_EQ(s->basis.from, At("2026-11-20T00:00:00Z"));
  EXPECT_EQ(s->basis.to, At("2026-11-25T00:00:00Z")) << "a date as `to` includes the day";
  EXPECT_EQ(s->basis.files, 3);
  EXPECT_EQ(s->basis.lines, 7);
  EXPECT_EQ(s->basis.bad_lines, 1);
  // L1..L4: clicked L1 (i2, i3), L3 (i5 liked: positive), L4 (i1); L4 converted.
  ExpectCounts(s->totals, 4, 3, 9, 3, 4, 1);
  EXPECT_DOUBLE_EQ(s->totals.ctr(), 0.75);
  EXPECT_DOUBLE_EQ(s->totals.item_ctr(), 4.0 / 9.0);
  ASSERT_EQ(s->rows.size(), 1u);
  EXPECT_TRUE(s->rows[0].values.empty());
  ExpectCounts(s->rows[0].counts, 4, 3, 9, 3, 4, 1);
}

TEST_F(AnalyticsServiceTest, GroupsByScenario) {
  auto s = service_->Summary({"scenario"}, Window());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->columns, std::vector<std::string>{"scenario"});
  ASSERT_EQ(s->rows.size(), 2u);
  EXPECT_EQ(s->rows[0].values, std::vector<std::string>{"detail"});
  ExpectCounts(s->rows[0].counts, 1, 1, 2, 1, 1, 0);
  EXPECT_EQ(s->rows[1].values, std::vector<std::string>{"home"});
  ExpectCounts(s->rows[1].counts, 3, 3, 7, 2, 3, 1);
  EXPECT_DOUBLE_EQ(s->rows[1].counts.ctr(), 2.0 / 3.0);
}

TEST_F(AnalyticsServiceTest, GroupsByExperimentVariantAndDay) {
  auto s = service_->Summary({"experiment", "day"}, Window());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->columns, (std::vector<std::string>{"experiment", "experiment_variant", "day"}));
  ASSERT_EQ(s->rows.size(), 4u);
  using V = std::vector<std::string>;
  EXPECT_EQ(s->rows[0].values, (V{"", "", "2026-11-22"}));  // L2
  ExpectCounts(s->rows[0].counts, 1, 1, 2, 0, 0, 0);
  EXPECT_EQ(s->rows[1].values, (V{"", "", "2026-11-23"}));  // L4
  ExpectCounts(s->rows[1].counts, 1, 1, 2, 1, 1, 1);
  EXPECT_EQ(s->rows[2].values, (V{"exp1", "a", "2026-11-22"}));  // L1
  ExpectCounts(s->rows[2].counts, 1, 1, 3, 1, 2, 0);
  EXPECT_EQ(s->rows[3].values, (V{"exp1", "b", "2026-11-23"}));  // L3
  ExpectCounts(s->rows[3].counts, 1, 1, 2, 1, 1, 0);
}

TEST_F(AnalyticsServiceTest, GroupsByModelVersionAndVariant) {
  auto s = service_->Summary({"model_version", "variant"}, Window());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->rows.size(), 2u);
  EXPECT_EQ(s->rows[0].values, (std::vector<std::string>{"v1", "primary"}));  // L1, L2
  ExpectCounts(s->rows[0].counts, 2, 2, 5, 1, 2, 0);
  EXPECT_EQ(s->rows[1].values, (std::vector<std::string>{"v2", "canary"}));  // L3, L4
  ExpectCounts(s->rows[1].counts, 2, 2, 4, 2, 2, 1);
}

TEST_F(AnalyticsServiceTest, ClickTypesNarrowTheClicks) {
  AnalyticsRange range = Window();
  range.click_types = {"click"};
  auto s = service_->Summary({}, range);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // The like on i5 no longer counts: L1 (i2, i3) and L4 (i1).
  ExpectCounts(s->totals, 4, 3, 9, 2, 3, 1);
  EXPECT_EQ(s->basis.click_types, std::vector<std::string>{"click"});
  range.conversion_types = {};
  EXPECT_EQ(service_->Summary({}, range)->totals.conversions, 0) << "none by default";
}

TEST_F(AnalyticsServiceTest, DefaultWindowIsTheLastSevenDays) {
  auto s = service_->Summary({}, {});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->basis.to, clock_.NowMicros());
  EXPECT_EQ(s->basis.from, At("2026-11-17T03:00:00Z"));
  EXPECT_EQ(s->totals.exposures, 4);
  auto narrow =
      service_->Summary({}, {.from = "2026-11-23T00:00:00Z", .to = "2026-11-23T12:00:00Z"});
  ASSERT_TRUE(narrow.ok());
  EXPECT_EQ(narrow->totals.exposures, 1) << "L3 only: `to` is exclusive";
}

TEST_F(AnalyticsServiceTest, TopItemsByExposuresClicksAndCtr) {
  // i1: L1 L2 L4, clicked in L4; i2: L1 L3 L4, clicked in L1; i3: L1 clicked; i4: L2;
  // i5: L3 clicked.
  auto ids = [](const TopItems& t) {
    std::vector<std::string> out;
    for (const TopItem& i : t.items) out.push_back(i.item_id);
    return out;
  };
  using V = std::vector<std::string>;
  auto by_exposures = service_->Top("", 3, Window());
  ASSERT_TRUE(by_exposures.ok()) << by_exposures.status().ToString();
  EXPECT_EQ(by_exposures->by, "exposures");
  EXPECT_EQ(ids(*by_exposures), (V{"i1", "i2", "i3"}));
  EXPECT_EQ(by_exposures->items[0].exposures, 3);
  EXPECT_EQ(by_exposures->items[0].clicks, 1);
  EXPECT_DOUBLE_EQ(by_exposures->items[0].ctr, 1.0 / 3.0);
  EXPECT_EQ(ids(*service_->Top("clicks", 10, Window())), (V{"i1", "i2", "i3", "i5", "i4"}));
  EXPECT_EQ(ids(*service_->Top("ctr", 10, Window())), (V{"i3", "i5", "i1", "i2", "i4"}));
  AnalyticsRange detail = Window();
  detail.scenario = "detail";
  auto in_detail = service_->Top("exposures", 0, detail);
  ASSERT_TRUE(in_detail.ok());
  EXPECT_EQ(ids(*in_detail), (V{"i2", "i5"}));
  EXPECT_EQ(in_detail->items[1].clicks, 1);
}

TEST_F(AnalyticsServiceTest, CoverageGiniAndTopShare) {
  auto c = service_->CatalogueCoverage(Window());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->catalogue_items, 6) << "i7 is hidden";
  EXPECT_EQ(c->exposed_items, 5);
  EXPECT_EQ(c->exposed_catalogue_items, 5);
  EXPECT_DOUBLE_EQ(c->coverage, 5.0 / 6.0);
  EXPECT_EQ(c->impressions, 9);
  // Impressions over i1..i6, ascending: 0 1 1 1 3 3 (sum 9); sum (2i - 7) x_i = 21.
  EXPECT_DOUBLE_EQ(c->gini, 21.0 / 54.0);
  EXPECT_EQ(c->top_items, 1);
  EXPECT_DOUBLE_EQ(c->top_share, 3.0 / 9.0);
  AnalyticsRange home = Window();
  home.scenario = "home";
  auto h = service_->CatalogueCoverage(home);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->exposed_items, 4);  // i1 i2 i3 i4
  EXPECT_EQ(h->impressions, 7);
}

TEST_F(AnalyticsServiceTest, GiniOfEqualAndConcentratedCounts) {
  EXPECT_DOUBLE_EQ(AnalyticsService::Gini({5, 5, 5}), 0.0);
  EXPECT_DOUBLE_EQ(AnalyticsService::Gini({0, 10, 0}), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(AnalyticsService::Gini({}), 0.0);
}

TEST_F(AnalyticsServiceTest, FilesLastWrittenBeforeTheWindowAreNotOpened) {
  // An older rotated file, last written on 2026-11-01: its line is never read (were it read, the
  // in-window time below would count).
  const std::string old = Log().string() + ".3";
  std::ofstream(old) << R"({"ts":"2026-11-21T00:00:00Z","user_id":"u9","items":["i6"]})"
                     << "\n";
  const timeval times[2] = {{At("2026-11-01T00:00:00Z") / kMicrosPerSecond, 0},
                            {At("2026-11-01T00:00:00Z") / kMicrosPerSecond, 0}};
  ASSERT_EQ(::utimes(old.c_str(), times), 0);
  auto s = service_->Summary({}, Window());
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->basis.skipped_files, 1);
  EXPECT_EQ(s->basis.files, 3);
  EXPECT_EQ(s->totals.exposures, 4);
}

TEST_F(AnalyticsServiceTest, BadInputNamesTheField) {
  auto field = [](const Status& st) { return st.field(); };
  EXPECT_EQ(field(service_->Summary({"colour"}, Window()).status()), "group_by");
  EXPECT_EQ(field(service_->Summary({"day", "day"}, Window()).status()), "group_by");
  EXPECT_EQ(field(service_->Summary({}, {.from = "2026-11-25", .to = "2026-11-24"}).status()),
            "from");
  EXPECT_EQ(field(service_->Summary({}, {.from = "yesterday"}).status()), "from");
  EXPECT_EQ(field(service_->Summary({}, {.to = "2026-13-01"}).status()), "to");
  EXPECT_EQ(field(service_->Summary({}, {.click_types = {""}}).status()), "click_types");
  EXPECT_EQ(field(service_->Top("views", 10, Window()).status()), "by");
  EXPECT_EQ(field(service_->Top("ctr", 1001, Window()).status()), "n");
  EXPECT_EQ(field(service_->Top("ctr", -1, Window()).status()), "n");
  EXPECT_EQ(field(service_->CatalogueCoverage({.to = "x"}).status()), "to");
  EXPECT_EQ(service_->Summary({"colour"}, Window()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reco::service
