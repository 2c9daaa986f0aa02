#include "ingest/importer.h"

#include <gtest/gtest.h>

#include "ingest/testing/recording_store.h"
#include "ingest/testing/temp_dir.h"

namespace reco::ingest {
namespace {

using testing::RecordingStore;
using testing::TempDir;

constexpr TimestampUs kNow = 1700000000LL * kMicrosPerSecond;

std::vector<int64_t> IssueLines(const std::vector<ImportIssue>& issues) {
  std::vector<int64_t> lines;
  for (const auto& issue : issues) lines.push_back(issue.line);
  return lines;
}

void WriteJsonDir(const TempDir& dir, bool with_bad_line) {
  dir.Write("users.jsonl", R"({"UserId":"u1"})");
  dir.Write("items.jsonl", R"({"ItemId":"i1"})"
                           "\n"
                           R"({"ItemId":"i2"})");
  std::string feedback = R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1"})"
                         "\n";
  if (with_bad_line)
    feedback += R"({"FeedbackType":"like","UserId":"","ItemId":"i1"})"
                "\n";
  feedback += R"({"FeedbackType":"read","UserId":"u9","ItemId":"i2"})"
              "\n";
  dir.Write("feedback.jsonl", feedback);
}

TEST(Importer, WritesEverythingInOneImportCallWithAutoInsert) {
  TempDir dir("import_ok");
  WriteJsonDir(dir, false);
  RecordingStore store;
  FakeClock clock(kNow);
  ImportOptions options;
  options.paths = {dir.path()};
  options.clock = &clock;
  auto result = ImportPaths(store, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(store.import_calls, 1);
  EXPECT_EQ(store.users.size(), 1u);
  EXPECT_EQ(store.items.size(), 2u);
  EXPECT_EQ(store.feedback.size(), 2u);
  EXPECT_EQ(store.feedback[1].timestamp, kNow);
  EXPECT_TRUE(store.last_options.auto_insert_users);
  EXPECT_TRUE(store.last_options.auto_insert_items);
  EXPECT_EQ(result->stats.rows(), 5);
  EXPECT_EQ(result->stats.skipped_lines, 0);
}

TEST(Importer, LenientModeSkipsBadLinesAndReportsThem) {
  TempDir dir("import_lenient");
  WriteJsonDir(dir, true);
  RecordingStore store;
  ImportOptions options;
  options.paths = {dir.path()};
  auto result = ImportPaths(store, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(store.feedback.size(), 2u);
  ASSERT_EQ(result->issues.size(), 1u);
  EXPECT_EQ(result->issues[0].line, 2);
  EXPECT_EQ(result->issues[0].reason, "UserId must not be empty");
  EXPECT_EQ(result->stats.skipped_lines, 1);
}

TEST(Importer, StrictModeWritesNothingWhenAnyLineIsBad) {
  TempDir dir("import_strict");
  WriteJsonDir(dir, true);
  RecordingStore store;
  ImportOptions options;
  options.paths = {dir.path()};
  options.strict = true;
  auto result = ImportPaths(store, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("feedback.jsonl:2: UserId must not be empty"),
            std::string::npos)
      << result.status().message();
  EXPECT_EQ(store.import_calls, 0);
  EXPECT_TRUE(store.feedback.empty());
}

TEST(Importer, StrictModeImportsCleanInput) {
  TempDir dir("import_strict_ok");
  WriteJsonDir(dir, false);
  RecordingStore store;
  ImportOptions options;
  options.paths = {dir.path()};
  options.strict = true;
  ASSERT_TRUE(ImportPaths(store, options).ok());
  EXPECT_EQ(store.feedback.size(), 2u);
}

TEST(Importer, RowsDatedTooFarInTheFutureAreBadLines) {
  TempDir dir("import_future");
  dir.Write("feedback.jsonl",
            R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1","Timestamp":1700000000})"
            "\n"
            R"({"FeedbackType":"like","UserId":"u2","ItemId":"i1","Timestamp":"9999-12-31"})"
            "\n"
            R"({"FeedbackType":"like","UserId":"u3","ItemId":"i1","Timestamp":1700007200})"
            "\n");
  FakeClock clock(kNow);
  ImportOptions options;
  options.paths = {dir.path() / "feedback.jsonl"};
  options.clock = &clock;
  {
    RecordingStore store;
    auto result = ImportPaths(store, options);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(store.feedback.size(), 2u) << "two hours ahead is within the default day";
    ASSERT_EQ(result->issues.size(), 1u);
    EXPECT_EQ(result->issues[0].ToString(),
              (dir.path() / "feedback.jsonl").string() +
                  ":2: Timestamp is 9999-12-31T00:00:00Z, later than the latest accepted time "
                  "2023-11-15T22:13:20Z (now + database.max_future_skew_seconds)");
  }
  {
    RecordingStore store;
    options.strict = true;
    auto result = ImportPaths(store, options);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find("feedback.jsonl:2: Timestamp is 9999-12-31"),
              std::string::npos)
        << result.status().message();
    EXPECT_EQ(store.import_calls, 0);
  }
  {
    RecordingStore store;
    options.strict = false;
    options.max_future_skew_seconds = 3600;
    auto result = ImportPaths(store, options);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(store.feedback.size(), 1u);
    EXPECT_EQ(IssueLines(result->issues), (std::vector<int64_t>{2, 3}));
  }
}

TEST(Importer, MissingPathIsAnErrorNamingIt) {
  RecordingStore store;
  ImportOptions options;
  options.paths = {"/nonexistent/reco/input"};
  auto result = ImportPaths(store, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_NE(result.status().message().find("/nonexistent/reco/input"), std::string::npos);
  EXPECT_EQ(store.import_calls, 0);
}

TEST(Importer, StoreFailureIsReturnedAsIs) {
  TempDir dir("import_fail");
  WriteJsonDir(dir, false);
  RecordingStore store;
  store.fail_with = Unavailable("disk full");
  ImportOptions options;
  options.paths = {dir.path()};
  auto result = ImportPaths(store, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(result.status().message().find("disk full"), std::string::npos);
}

TEST(Importer, ReadsSeveralPathsOfDifferentFormats) {
  TempDir dir("import_mixed");
  dir.Write("gcn/train.txt", "0 1 2\n");
  dir.Write("json/items.jsonl", R"({"ItemId":"1","Categories":["a"]})");
  RecordingStore store;
  ImportOptions options;
  options.paths = {dir.path() / "gcn", dir.path() / "json"};
  auto result = ImportPaths(store, options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(store.feedback.size(), 2u);
  EXPECT_EQ(store.items.size(), 1u);
}

}  // namespace
}  // namespace reco::ingest
