#include "pipeline/extract.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"
#include "pipeline/extract_state.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco::pipeline {
namespace {

namespace fs = std::filesystem;

constexpr TimestampUs kNow = 1'700'000'000LL * kMicrosPerSecond;

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(reco::testing::OpenTempSqliteStore(dir_.path(), &store_));
    fs::create_directories(json_dir());
    config_.sources.json_dir = json_dir().string();
  }

  fs::path json_dir() const { return dir_.path() / "incoming"; }
  fs::path data_dir() const { return dir_.path() / "data"; }

  void Write(const std::string& name, const std::string& text, bool append = false) {
    std::ofstream out(json_dir() / name, append ? std::ios::app : std::ios::trunc);
    out << text;
  }

  ExtractReport Run(ExtractOptions options = {}) {
    Result<ExtractReport> r = RunExtract(options, config_, *store_, data_dir(), clock_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : ExtractReport{};
  }

  int64_t FeedbackCount() { return store_->Counts()->feedback; }

  reco::testing::TempDir dir_{"extract_test"};
  std::unique_ptr<Store> store_;
  RecoConfig config_;
  FakeClock clock_{kNow};
};

const std::string kItems =
    R"({"ItemId":"i1","Categories":["a"],"Timestamp":"2023-01-01T00:00:00Z"})"
    "\n"
    R"({"ItemId":"i2","Categories":["b"],"Timestamp":"2023-01-02T00:00:00Z"})"
    "\n";
const std::string kFeedback =
    R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1","Timestamp":"2023-11-14T00:00:00Z"})"
    "\n"
    R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1","Timestamp":"2023-11-14T00:00:00Z"})"
    "\n"
    R"({"FeedbackType":"like","UserId":"","ItemId":"i2"})"
    "\n"
    R"({"FeedbackType":"read","UserId":"u2","ItemId":"i2","Timestamp":"2023-11-14T01:00:00Z"})"
    "\n";

TEST_F(ExtractTest, MissingJsonDirIsNotFoundNamingPathAndKey) {
  config_.sources.json_dir = (dir_.path() / "nowhere").string();
  Result<ExtractReport> r = RunExtract({}, config_, *store_, data_dir(), clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find((dir_.path() / "nowhere").string()), std::string::npos);
  EXPECT_NE(r.status().message().find("sources.json_dir"), std::string::npos);
  EXPECT_NE(r.status().message().find("DATA_JSON_DIR"), std::string::npos);
  EXPECT_FALSE(fs::exists(data_dir() / kExtractStateFile));
}

TEST_F(ExtractTest, JsonDirImportsNewRowsAndCountsDuplicatesAndEmptyIds) {
  Write("items.jsonl", kItems);
  Write("feedback.jsonl", kFeedback);
  ExtractReport r = Run();
  const SourceReport* json = r.Find(kJsonDirSource);
  ASSERT_NE(json, nullptr);
  EXPECT_EQ(json->rows_read, 6);      // 2 items + 4 feedback lines
  EXPECT_EQ(json->rows_rejected, 1);  // the empty UserId
  EXPECT_EQ(json->rows_empty_id, 1);
  EXPECT_EQ(json->rows_duplicate, 1);  // the repeated like
  EXPECT_EQ(json->rows_written, 4);    // 2 items + 2 distinct feedback rows
  EXPECT_EQ(FeedbackCount(), 2);
  ASSERT_EQ(json->issues.size(), 1u);
  EXPECT_NE(json->issues[0].find("feedback.jsonl:3"), std::string::npos);
  // The store line counts the feedback that arrived in the store.
  const SourceReport* st = r.Find(kStoreSource);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->rows_read, 2);
  EXPECT_EQ(r.store_seq_before, 0);
  EXPECT_GT(r.store_seq_after, 0);
  EXPECT_TRUE(fs::exists(data_dir() / kExtractStateFile));
  EXPECT_TRUE(fs::exists(data_dir() / kExtractMetricsFile));
}

TEST_F(ExtractTest, RowsDatedTooFarInTheFutureAreRejected) {
  Write("items.jsonl", kItems);
  Write("feedback.jsonl",
        R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1","Timestamp":"9999-12-31"})"
        "\n"
        R"({"FeedbackType":"like","UserId":"u2","ItemId":"i1","Timestamp":1700003600})"
        "\n");
  Write("feedback-array.json",
        R"([{"FeedbackType":"like","UserId":"u3","ItemId":"i2","Timestamp":9.5e12}])");
  ExtractReport r = Run();
  const SourceReport* json = r.Find(kJsonDirSource);
  ASSERT_NE(json, nullptr);
  EXPECT_EQ(json->rows_rejected, 2);
  EXPECT_EQ(FeedbackCount(), 1) << "an hour ahead is within the allowed skew";
  ASSERT_EQ(json->issues.size(), 2u);
  std::string issues = json->issues[0] + "\n" + json->issues[1];
  EXPECT_NE(issues.find("feedback-array.json:1: [0].Timestamp is out of range"), std::string::npos)
      << issues;
  EXPECT_NE(issues.find("feedback.jsonl:1: Timestamp is 9999-12-31T00:00:00Z, later than the "
                        "latest accepted time 2023-11-15T22:13:20Z"),
            std::string::npos)
      << issues;
}

TEST_F(ExtractTest, SecondRunReadsOnlyAppendedLines) {
  Write("items.jsonl", kItems);
  Write("feedback.jsonl", kFeedback);
  Run();
  ExtractReport again = Run();
  EXPECT_EQ(again.Find(kJsonDirSource)->rows_read, 0);
  EXPECT_EQ(again.Find(kStoreSource)->rows_read, 0);
  Write("feedback.jsonl",
        R"({"FeedbackType":"like","UserId":"u3","ItemId":"i2","Timestamp":"2023-11-14T02:00:00Z"})"
        "\n",
        /*append=*/true);
  ExtractReport third = Run();
  EXPECT_EQ(third.Find(kJsonDirSource)->rows_read, 1);
  EXPECT_EQ(third.Find(kJsonDirSource)->rows_written, 1);
  EXPECT_EQ(third.Find(kStoreSource)->rows_read, 1);
  EXPECT_EQ(third.store_seq_before, again.store_seq_after);
  EXPECT_EQ(FeedbackCount(), 3);
}

TEST_F(ExtractTest, IncompleteLastLineWaitsForTheNextRun) {
  Write("feedback.jsonl",
        R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1","Timestamp":1700000000})"
        "\n"
        R"({"FeedbackType":"like","UserId":"u2",)");
  ExtractReport r = Run();
  EXPECT_EQ(r.Find(kJsonDirSource)->rows_read, 1);
  EXPECT_EQ(r.Find(kJsonDirSource)->rows_rejected, 0);
  Write("feedback.jsonl",
        R"("ItemId":"i1","Timestamp":1700000000})"
        "\n",
        /*append=*/true);
  ExtractReport next = Run();
  EXPECT_EQ(next.Find(kJsonDirSource)->rows_read, 1);
  EXPECT_EQ(next.Find(kJsonDirSource)->rows_written, 1);
  EXPECT_EQ(FeedbackCount(), 2);
}

TEST_F(ExtractTest, RewrittenFileIsReadAgainWhole) {
  Write("feedback.jsonl", kFeedback);
  Run();
  // Same length, different content: the imported prefix changed, so the whole file is read.
  std::string changed = kFeedback;
  changed.replace(changed.find("u2"), 2, "u9");
  Write("feedback.jsonl", changed);
  ExtractReport r = Run();
  EXPECT_EQ(r.Find(kJsonDirSource)->rows_read, 4);
  EXPECT_EQ(r.Find(kJsonDirSource)->rows_written, 1);  // only u9's row is new
  EXPECT_EQ(FeedbackCount(), 3);
}

TEST_F(ExtractTest, JsonArrayFilesAreReadWholeOnce) {
  Write("items.json", R"([{"ItemId":"i1","Timestamp":"2023-01-01"},{"ItemId":"i2"}])");
  EXPECT_EQ(Run().Find(kJsonDirSource)->rows_read, 2);
  EXPECT_EQ(Run().Find(kJsonDirSource)->rows_read, 0);
}

TEST_F(ExtractTest, FullRefreshIgnoresWatermarksAndWritesNothingTwice) {
  Write("feedback.jsonl", kFeedback);
  Run();
  ExtractOptions full;
  full.full_refresh = true;
  ExtractReport r = Run(full);
  EXPECT_EQ(r.Find(kJsonDirSource)->rows_read, 4);
  EXPECT_EQ(r.Find(kJsonDirSource)->rows_written, 0);  // the store already has them
  EXPECT_EQ(r.Find(kStoreSource)->rows_read, 2);       // all feedback since seq 0
  EXPECT_EQ(FeedbackCount(), 2);
}

TEST_F(ExtractTest, DryRunReportsWhatWouldBeReadAndWritesNothing) {
  Write("feedback.jsonl", kFeedback);
  ExtractOptions dry;
  dry.dry_run = true;
  ExtractReport r = Run(dry);
  EXPECT_TRUE(r.dry_run);
  EXPECT_EQ(r.Find(kJsonDirSource)->rows_read, 4);
  EXPECT_EQ(r.Find(kJsonDirSource)->rows_written, 0);
  EXPECT_EQ(FeedbackCount(), 0);
  EXPECT_FALSE(fs::exists(data_dir() / kExtractStateFile));
  EXPECT_FALSE(fs::exists(data_dir() / kExtractMetricsFile));
  // A real run afterwards still imports everything.
  EXPECT_EQ(Run().Find(kJsonDirSource)->rows_read, 4);
}

TEST_F(ExtractTest, StoreSourceCountsFeedbackWrittenByOtherChannels) {
  config_.sources.json_dir.clear();
  std::vector<Feedback> rows = {{"like", "u1", "i1", 1.0, kNow, ""},
                                {"like", "u2", "i1", 1.0, kNow, ""}};
  ASSERT_TRUE(store_->InsertFeedback(rows, {}).ok());
  ExtractReport r = Run();
  ASSERT_EQ(r.sources.size(), 1u);
  EXPECT_EQ(r.Find(kStoreSource)->rows_read, 2);
  ASSERT_TRUE(
      store_->InsertFeedback(std::vector<Feedback>{{"like", "u3", "i1", 1.0, kNow, ""}}, {}).ok());
  EXPECT_EQ(Run().Find(kStoreSource)->rows_read, 1);
}

TEST_F(ExtractTest, StateRoundTripsAndCorruptStateIsDataLoss) {
  ExtractState s;
  s.store_seq = 7;
  s.json_dir = "/in";
  s.json_files["feedback.jsonl"] = {10, 20, 10, "abc"};
  s.matomo_idlink_va = 41;
  s.matomo_updated = kNow;
  const fs::path path = data_dir() / kExtractStateFile;
  ASSERT_TRUE(SaveExtractState(path, s).ok());
  Result<ExtractState> back = LoadExtractState(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->store_seq, 7);
  EXPECT_EQ(back->json_files["feedback.jsonl"].sha256, "abc");
  EXPECT_EQ(back->json_files["feedback.jsonl"].mtime_ns, 20);
  EXPECT_EQ(back->matomo_idlink_va, 41);
  EXPECT_EQ(back->matomo_updated, kNow);
  ASSERT_TRUE(WriteFileAtomic(path, "{not json").ok());
  Result<ExtractState> bad = LoadExtractState(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("--full-refresh"), std::string::npos);
}

}  // namespace
}  // namespace reco::pipeline
