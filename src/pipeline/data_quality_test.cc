#include "pipeline/data_quality.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr TimestampUs kNow = 1'700'000'000LL * kMicrosPerSecond;
constexpr TimestampUs kHour = 3600LL * kMicrosPerSecond;

class DataQualityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(reco::testing::OpenTempSqliteStore(dir_.path(), &store_));
    Item i1, i2;
    i1.item_id = "i1";
    i2.item_id = "i2";
    i1.timestamp = kNow - 1000 * kHour;
    i2.categories = {"books"};
    ASSERT_TRUE(store_->InsertItems(std::vector<Item>{i1, i2}).ok());
  }

  void Add(const std::string& user, const std::string& item, TimestampUs ts) {
    ASSERT_TRUE(
        store_->InsertFeedback(std::vector<Feedback>{{"like", user, item, 1.0, ts, ""}}, {}).ok());
  }

  Result<DataQualityReport> Run(const DataQualityInput& input, DataQualityOptions options = {}) {
    return RunDataQuality(options, input, *store_, dir_.path(), clock_);
  }

  reco::testing::TempDir dir_{"data_quality_test"};
  std::unique_ptr<Store> store_;
  FakeClock clock_{kNow};
};

TEST_F(DataQualityTest, ScoresEveryCheckAndTheWeightedMean) {
  Add("u1", "i1", kNow - 1 * kHour);
  Add("u2", "i1", kNow - 2 * kHour);
  Add("u3", "i2", kNow + 24 * kHour);  // future: a bad timestamp
  Add("u4", "i9", kNow - 3 * kHour);   // i9 exists only through feedback: unknown
  DataQualityInput input{0, /*rows_read=*/10, /*rows_duplicate=*/1, /*rows_empty_id=*/0};
  DataQualityOptions options;
  options.max_duplicate_rate = 0.2;      // 0.1 / 0.2 -> 0.5
  options.max_unknown_item_rate = 0.5;   // 0.25 / 0.5 -> 0.5
  options.max_bad_timestamp_rate = 0.5;  // 0.25 / 0.5 -> 0.5
  Result<DataQualityReport> r = Run(input, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->new_rows, 4);
  EXPECT_EQ(r->unknown_item_rows, 1);
  EXPECT_EQ(r->bad_timestamp_rows, 1);
  EXPECT_EQ(r->newest_feedback, kNow - kHour);
  EXPECT_DOUBLE_EQ(r->Find("volume")->score, 1.0);  // no previous run
  EXPECT_DOUBLE_EQ(r->Find("duplicates")->score, 0.5);
  EXPECT_DOUBLE_EQ(r->Find("empty_ids")->score, 1.0);
  EXPECT_DOUBLE_EQ(r->Find("unknown_items")->score, 0.5);
  EXPECT_DOUBLE_EQ(r->Find("timestamps")->score, 0.5);
  EXPECT_DOUBLE_EQ(r->Find("freshness")->score, 1.0);
  // 0.2*1 + 0.15*0.5 + 0.15*1 + 0.15*0.5 + 0.15*0.5 + 0.2*1
  EXPECT_NEAR(r->score, 0.775, 1e-12);
  Result<std::string> prom = ReadFile(dir_.path() / kDataQualityMetricsFile);
  ASSERT_TRUE(prom.ok());
  EXPECT_NE(prom->find("# TYPE data_quality_score gauge\ndata_quality_score 0.775\n"),
            std::string::npos);
  EXPECT_NE(prom->find("data_quality_check_score{check=\"duplicates\"} 0.5\n"), std::string::npos);
  EXPECT_NE(prom->find("data_quality_check_value{check=\"unknown_items\"} 0.25\n"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(dir_.path() / kDataQualityStateFile));
}

TEST_F(DataQualityTest, ComparesVolumeWithThePreviousRunAndAgesFreshness) {
  for (const char* u : {"u0", "u1", "u2", "u3"}) Add(u, "i1", kNow - kHour);
  ASSERT_TRUE(Run({}).ok());
  const int64_t seq = *store_->MaxFeedbackSeq();
  Add("u9", "i2", kNow - 48 * kHour);
  Result<DataQualityReport> r = Run({seq, 0, 0, 0});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->new_rows, 1);
  EXPECT_EQ(r->previous_new_rows, 4);
  EXPECT_DOUBLE_EQ(r->Find("volume")->value, 0.25);
  EXPECT_DOUBLE_EQ(r->Find("volume")->score, 0.5);  // 0.25 / 0.5
  EXPECT_DOUBLE_EQ(r->Find("freshness")->value, 48.0);
  EXPECT_DOUBLE_EQ(r->Find("freshness")->score, 0.5);  // (72 - 48) / (72 - 24)
  // 0.2*0.5 + 4 * 0.15*1 + 0.2*0.5
  EXPECT_NEAR(r->score, 0.8, 1e-12);
}

TEST_F(DataQualityTest, SourceRowsButNoFeedbackAtAllIsNotFresh) {
  // The sources produced rows but none became feedback (e.g. all were users): not quiet.
  Result<DataQualityReport> r = Run({0, /*rows_read=*/3, 0, 0});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->quiet);
  EXPECT_DOUBLE_EQ(r->Find("freshness")->score, 0.0);
  EXPECT_NEAR(r->score, 0.8, 1e-12);
}

TEST_F(DataQualityTest, NothingNewIsAQuietRunThatScoresAndWritesNothing) {
  Add("u1", "i1", kNow - 100 * kHour);  // old: the first run scores 0.8 (freshness 0)
  Result<DataQualityReport> first = Run({});
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->quiet);
  EXPECT_NEAR(first->score, 0.8, 1e-12);
  const std::string prom = ReadFile(dir_.path() / kDataQualityMetricsFile).value();
  const std::string state = ReadFile(dir_.path() / kDataQualityStateFile).value();

  clock_.Advance(24 * kHour);
  Result<DataQualityReport> quiet = Run({*store_->MaxFeedbackSeq(), 0, 0, 0});
  ASSERT_TRUE(quiet.ok()) << quiet.status().ToString();
  EXPECT_TRUE(quiet->quiet);
  EXPECT_EQ(quiet->new_rows, 0);
  EXPECT_TRUE(quiet->checks.empty());
  EXPECT_NEAR(quiet->score, 0.8, 1e-12) << "the previous run's score";
  EXPECT_EQ(ReadFile(dir_.path() / kDataQualityMetricsFile).value(), prom);
  EXPECT_EQ(ReadFile(dir_.path() / kDataQualityStateFile).value(), state);

  // The next run with data compares its volume with the last run that had data (1 row).
  const int64_t seq = *store_->MaxFeedbackSeq();
  Add("u2", "i1", clock_.NowMicros());
  Result<DataQualityReport> next = Run({seq, 0, 0, 0});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->previous_new_rows, 1);
  EXPECT_DOUBLE_EQ(next->Find("volume")->score, 1.0);
}

TEST_F(DataQualityTest, FreshnessFollowsMaxDataAgeAndZeroTurnsItOff) {
  Add("u1", "i1", kNow - 30 * 24 * kHour);  // a month old
  DataQualityOptions options;
  options.dry_run = true;
  Result<DataQualityReport> checked = Run({}, options);
  ASSERT_TRUE(checked.ok());
  EXPECT_DOUBLE_EQ(checked->Find("freshness")->score, 0.0);
  EXPECT_NEAR(checked->score, 0.8, 1e-12);

  options.max_data_age_hours = 31 * 24;
  Result<DataQualityReport> month = Run({}, options);
  ASSERT_TRUE(month.ok());
  EXPECT_DOUBLE_EQ(month->Find("freshness")->score, 1.0);

  options.max_data_age_hours = 0;
  Result<DataQualityReport> off = Run({}, options);
  ASSERT_TRUE(off.ok());
  const QualityCheck* freshness = off->Find("freshness");
  ASSERT_NE(freshness, nullptr);
  EXPECT_DOUBLE_EQ(freshness->weight, 0.0);
  EXPECT_NE(freshness->detail.find("not checked"), std::string::npos);
  EXPECT_NEAR(off->score, 1.0, 1e-12) << "old data alone no longer lowers the score";
}

TEST_F(DataQualityTest, DryRunWritesNothing) {
  Add("u1", "i1", kNow);
  DataQualityOptions options;
  options.dry_run = true;
  ASSERT_TRUE(Run({}, options).ok());
  EXPECT_FALSE(fs::exists(dir_.path() / kDataQualityMetricsFile));
  EXPECT_FALSE(fs::exists(dir_.path() / kDataQualityStateFile));
}

TEST_F(DataQualityTest, InputComesFromTheExtractTotalsWithoutTheStoreLine) {
  ExtractReport e;
  e.store_seq_before = 12;
  SourceReport json, matomo, store;
  json.source = "json_dir";
  matomo.source = "matomo";
  store.source = "store";
  json.rows_read = 10;
  json.rows_duplicate = 2;
  json.rows_empty_id = 1;
  matomo.rows_read = 5;
  store.rows_read = 100;
  e.sources = {json, matomo, store};
  DataQualityInput in = DataQualityInput::FromExtract(e);
  EXPECT_EQ(in.after_seq, 12);
  EXPECT_EQ(in.rows_read, 15);
  EXPECT_EQ(in.rows_duplicate, 2);
  EXPECT_EQ(in.rows_empty_id, 1);
}

TEST(DataQuality, CatalogueItemsHaveMoreThanAnId) {
  Item bare;
  bare.item_id = "bare";
  EXPECT_FALSE(IsCatalogueItem(bare));
  Item labelled;
  labelled.item_id = "x";
  labelled.labels_json = R"({"a":1})";
  EXPECT_TRUE(IsCatalogueItem(labelled));
}

}  // namespace
}  // namespace reco::pipeline
