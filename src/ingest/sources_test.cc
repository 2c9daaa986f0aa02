#include "ingest/sources.h"

#include <gtest/gtest.h>

#include <chrono>

#include "ingest/testing/temp_dir.h"

namespace reco::ingest {
namespace {

using testing::TempDir;

constexpr TimestampUs kNow = 1700000000LL * kMicrosPerSecond;

struct Read {
  Status status;
  ImportBatch batch;
  std::vector<ImportIssue> issues;
};

Read ReadAs(const std::filesystem::path& path, ImportFormat format, SourceOptions options = {}) {
  options.default_timestamp = kNow;
  Read r;
  r.status = ReadSource(path, format, options, r.batch, r.issues);
  return r;
}

std::vector<int64_t> IssueLines(const Read& r) {
  std::vector<int64_t> lines;
  for (const auto& i : r.issues) lines.push_back(i.line);
  return lines;
}

TEST(JsonSource, JsonLinesReportBadLinesWithTheirNumbers) {
  TempDir dir("jsonl");
  auto file = dir.Write("feedback.jsonl",
                        R"({"FeedbackType":"like","UserId":"u1","ItemId":"i1"})"
                        "\n{\"FeedbackType\":\"like\",\n"
                        "\n"
                        R"({"FeedbackType":"like","ItemId":"i1"})"
                        "\r\n"
                        R"({"FeedbackType":"read","UserId":"u2","ItemId":"i2","Timestamp":5})");
  Read r = ReadAs(file, ImportFormat::kJson);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.feedback.size(), 2u);
  EXPECT_EQ(r.batch.feedback[0].timestamp, kNow);
  EXPECT_EQ(r.batch.feedback[1].timestamp, 5 * kMicrosPerSecond);
  EXPECT_EQ(IssueLines(r), (std::vector<int64_t>{2, 4}));
  EXPECT_NE(r.issues[0].reason.find("malformed JSON"), std::string::npos);
  EXPECT_EQ(r.issues[1].ToString(), file.string() + ":4: UserId is missing");
}

TEST(JsonSource, ArrayFileReportsTheLineOfEachBadElement) {
  TempDir dir("jsonarray");
  auto file = dir.Write("items.json",
                        "[\n"
                        "  {\"ItemId\": \"a\", \"Categories\": [\"x\"]},\n"
                        "  {\"ItemId\": \"b\",\n"
                        "   \"IsHidden\": \"no\"},\n"
                        "  {\"ItemId\": \"c\"}\n"
                        "]\n");
  Read r = ReadAs(file, ImportFormat::kJson);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.items.size(), 2u);
  EXPECT_EQ(r.batch.items[1].item_id, "c");
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].line, 3);
  EXPECT_EQ(r.issues[0].reason, "[1].IsHidden must be a boolean");
}

TEST(JsonSource, DirectoryReadsEachKindAndSkipsOtherFiles) {
  TempDir dir("jsondir");
  dir.Write("users.jsonl", R"({"UserId":"u1","Labels":{"a":1}})");
  dir.Write("items_part1.json", R"([{"ItemId":"i1"}])");
  dir.Write("feedback.jsonl", R"({"FeedbackType":"star","UserId":"u1","ItemId":"i1"})");
  dir.Write("reco-demo.json", R"({"generator":"reco demo-data"})");
  dir.Write("notes.txt", "hello");
  Read r = ReadAs(dir.path(), ImportFormat::kJson);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.batch.users.size(), 1u);
  EXPECT_EQ(r.batch.items.size(), 1u);
  EXPECT_EQ(r.batch.feedback.size(), 1u);
  EXPECT_TRUE(r.issues.empty());
  EXPECT_EQ(r.batch.users[0].labels_json, R"({"a":1})");
}

TEST(CsvSource, MapsColumnsByIndexAndHandlesQuotedFields) {
  TempDir dir("csvidx");
  auto file = dir.Write("events.csv",
                        "u1,i1,like,1659832006,\"said \"\"hi\"\", then left\"\n"
                        "u2,i2,read\n"
                        "u3,\"i,3\",read,2022-08-07T00:26:46Z,\"multi\nline\"\n"
                        "u4,i4,read,not-a-time,x\n"
                        ",i5,read,,x\n"
                        "u6,i6,read,,plain\n");
  SourceOptions options;
  options.csv.columns = "user=0,item=1,type=2,timestamp=3,comment=4";
  Read r = ReadAs(file, ImportFormat::kCsv, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.feedback.size(), 3u);
  EXPECT_EQ(r.batch.feedback[0].comment, "said \"hi\", then left");
  EXPECT_EQ(r.batch.feedback[0].timestamp, 1659832006LL * kMicrosPerSecond);
  EXPECT_EQ(r.batch.feedback[1].item_id, "i,3");
  EXPECT_EQ(r.batch.feedback[1].comment, "multi\nline");
  EXPECT_EQ(r.batch.feedback[2].user_id, "u6");
  EXPECT_EQ(r.batch.feedback[2].timestamp, kNow);
  EXPECT_EQ(IssueLines(r), (std::vector<int64_t>{2, 5, 6}));
  EXPECT_NE(r.issues[0].reason.find("expected at least 5 columns"), std::string::npos);
  EXPECT_NE(r.issues[1].reason.find("cannot parse timestamp"), std::string::npos);
  EXPECT_EQ(r.issues[2].reason, "user id is empty");
}

// Every timestamp cell is range-checked (no overflow into year -290308) and may not lie further
// in the future than the latest accepted time: such rows are bad lines naming the reason.
TEST(CsvSource, TimestampCellsAreRangeCheckedAndNotTooFarInTheFuture) {
  struct Case {
    std::string cell;
    std::string problem;  // "" = accepted
  };
  const std::vector<Case> cases = {
      {"9500000000000", "timestamp 9500000000000 is out of range"},
      {"-9500000000000", "timestamp -9500000000000 is out of range"},
      {"9223372036854775807", "timestamp 9223372036854775807 is out of range"},
      {"9.5e12", "timestamp 9.5e12 is out of range"},
      {"1e300", "timestamp 1e300 is out of range"},
      {"9999-12-31T23:59:59-01:00", "is out of range"},
      {"9999-12-31", "timestamp is 9999-12-31T00:00:00Z, later than the latest accepted time"},
      {"1700172800", "timestamp is 2023-11-16T22:13:20Z, later than the latest accepted time"},
      {"1700003600", ""},
      {"2023-11-14T22:13:20Z", ""},
      {"-62167219200", ""},
      {"", ""},
  };
  ASSERT_FALSE(cases.empty());
  TempDir dir("csvtime");
  std::string text;
  for (size_t i = 0; i < cases.size(); ++i) {
    text += "u" + std::to_string(i) + ",i,like," + cases[i].cell + "\n";
  }
  auto file = dir.Write("events.csv", text);
  SourceOptions options;
  options.csv.columns = "user=0,item=1,type=2,timestamp=3";
  options.latest_timestamp = kNow + 86400 * kMicrosPerSecond;
  Read r = ReadAs(file, ImportFormat::kCsv, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  size_t issue = 0, row = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const int64_t line = static_cast<int64_t>(i) + 1;
    if (cases[i].problem.empty()) {
      ASSERT_LT(row, r.batch.feedback.size()) << cases[i].cell;
      EXPECT_EQ(r.batch.feedback[row++].user_id, "u" + std::to_string(i));
      continue;
    }
    ASSERT_LT(issue, r.issues.size()) << cases[i].cell;
    EXPECT_EQ(r.issues[issue].line, line) << cases[i].cell;
    EXPECT_NE(r.issues[issue].reason.find(cases[i].problem), std::string::npos)
        << cases[i].cell << ": got \"" << r.issues[issue].reason << "\"";
    ++issue;
  }
  EXPECT_EQ(issue, r.issues.size());
  EXPECT_EQ(row, r.batch.feedback.size());
}

TEST(MovieLensSource, RatingTimesAreRangeCheckedAndNotTooFarInTheFuture) {
  TempDir dir("mltime");
  dir.Write("ratings.dat",
            "1::1::5::978300760\n1::2::5::9500000000000\n1::3::5::253402300799\n"
            "1::4::5::-9223372036854775807\n");
  SourceOptions options;
  options.latest_timestamp = kNow;
  Read r = ReadAs(dir.path() / "ratings.dat", ImportFormat::kMovieLens, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.feedback.size(), 1u);
  EXPECT_EQ(r.batch.feedback[0].timestamp, 978300760LL * kMicrosPerSecond);
  ASSERT_EQ(IssueLines(r), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_NE(r.issues[0].reason.find("is out of range"), std::string::npos) << r.issues[0].reason;
  EXPECT_NE(r.issues[1].reason.find("later than the latest accepted time"), std::string::npos)
      << r.issues[1].reason;
  EXPECT_NE(r.issues[2].reason.find("is out of range"), std::string::npos) << r.issues[2].reason;
}

TEST(CsvSource, MapsColumnsByHeaderNameWithAConstantFeedbackType) {
  TempDir dir("csvheader");
  auto file = dir.Write("clicks.tsv", "when\tuid\tiid\tscore\n10\ta\tb\t0.5\n20\tc\td\tx\n");
  SourceOptions options;
  options.csv.columns = "user=uid,item=iid,timestamp=when,value=score";
  options.csv.header = true;
  options.csv.separator = '\t';
  options.csv.feedback_type = "click";
  Read r = ReadAs(file, ImportFormat::kCsv, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.feedback.size(), 1u);
  EXPECT_EQ(r.batch.feedback[0].feedback_type, "click");
  EXPECT_DOUBLE_EQ(r.batch.feedback[0].value, 0.5);
  EXPECT_EQ(r.batch.feedback[0].timestamp, 10 * kMicrosPerSecond);
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].line, 3);
  EXPECT_EQ(r.issues[0].reason, "value \"x\" is not a number");
}

TEST(CsvSource, ReadsItemsWithCategoriesHiddenAndLabels) {
  TempDir dir("csvitems");
  auto file = dir.Write("items.csv",
                        "ItemId,Categories,IsHidden,Labels\n"
                        "a,tech|news,true,\"[\"\"x\"\", 1]\"\n"
                        "b,,0,red|blue\n"
                        "c,,maybe,\n");
  SourceOptions options;
  options.csv.kind = "items";
  options.csv.header = true;
  Read r = ReadAs(file, ImportFormat::kCsv, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.items.size(), 2u);
  EXPECT_EQ(r.batch.items[0].categories, (std::vector<std::string>{"tech", "news"}));
  EXPECT_TRUE(r.batch.items[0].is_hidden);
  EXPECT_EQ(r.batch.items[0].labels_json, R"(["x",1])");
  EXPECT_FALSE(r.batch.items[1].is_hidden);
  EXPECT_EQ(r.batch.items[1].labels_json, R"(["red","blue"])");
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].line, 4);
}

TEST(CsvSource, MissingRequiredColumnIsAnError) {
  TempDir dir("csvbad");
  auto file = dir.Write("f.csv", "a,b\n");
  SourceOptions options;
  options.csv.columns = "user=0,item=1";
  Read r = ReadAs(file, ImportFormat::kCsv, options);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.field(), "--csv-columns");
  EXPECT_NE(r.status.message().find("--feedback-type"), std::string::npos);
}

TEST(MovieLensSource, Reads100kWithGenresLatin1TitlesAndThreshold) {
  TempDir dir("ml100k");
  dir.Write("u.data", "196\t242\t3\t881250949\n186\t302\t4\t891717742\n22\t377\tx\t878887116\n");
  std::string flags = "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0";
  dir.Write("u.item", "242|Kolya (1996)|24-Jan-1997||http://x" + flags + "\n" +
                          "302|Caf\xe9 (1995)|01-Jan-1995||http://y" + flags + "\n");
  dir.Write("u.user", "196|49|M|writer|55105\n");
  SourceOptions options;
  options.positive_threshold = 4.0;
  Read r = ReadAs(dir.path(), ImportFormat::kMovieLens, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.feedback.size(), 2u);
  EXPECT_EQ(r.batch.feedback[0].feedback_type, "read");
  EXPECT_DOUBLE_EQ(r.batch.feedback[0].value, 3.0);
  EXPECT_EQ(r.batch.feedback[0].timestamp, 881250949LL * kMicrosPerSecond);
  EXPECT_EQ(r.batch.feedback[1].feedback_type, "like");
  ASSERT_EQ(r.batch.items.size(), 2u);
  EXPECT_EQ(r.batch.items[0].categories,
            (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(r.batch.items[0].timestamp, *ParseTimestamp("1997-01-24"));
  EXPECT_EQ(r.batch.items[1].comment, "Caf\xc3\xa9 (1995)");
  ASSERT_EQ(r.batch.users.size(), 1u);
  EXPECT_EQ(r.batch.users[0].labels_json,
            R"({"gender":"M","age":"49","occupation":"writer","zip":"55105"})");
  ASSERT_EQ(r.issues.size(), 1u);
  EXPECT_EQ(r.issues[0].line, 3);
  EXPECT_TRUE(r.issues[0].path.ends_with("u.data"));
}

TEST(MovieLensSource, Reads1mDoubleColonFiles) {
  TempDir dir("ml1m");
  dir.Write("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\nbad line\n");
  dir.Write("movies.dat", "1::Toy Story (1995)::Animation|Children's|Comedy\n");
  dir.Write("users.dat", "1::F::1::10::48067\n");
  Read r = ReadAs(dir.path() / "ratings.dat", ImportFormat::kMovieLens);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.batch.feedback.size(), 2u);
  EXPECT_EQ(IssueLines(r), (std::vector<int64_t>{3}));
  Read all = ReadAs(dir.path(), ImportFormat::kMovieLens);
  ASSERT_TRUE(all.status.ok());
  ASSERT_EQ(all.batch.items.size(), 1u);
  EXPECT_EQ(all.batch.items[0].comment, "Toy Story (1995)");
  EXPECT_EQ(all.batch.items[0].categories,
            (std::vector<std::string>{"Animation", "Children's", "Comedy"}));
  EXPECT_EQ(all.batch.items[0].timestamp, *ParseTimestamp("1995-01-01"));
  EXPECT_EQ(all.batch.users.size(), 1u);
}

TEST(MovieLensSource, ReadsLatestCsvWithCommasInQuotedTitles) {
  TempDir dir("mllatest");
  dir.Write("ratings.csv",
            "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,3.5,964981247\n1,6,,1\n");
  dir.Write("movies.csv",
            "movieId,title,genres\n"
            "1,Toy Story (1995),Adventure|Animation\n"
            "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
            "12,Nothing (2018),(no genres listed)\n");
  Read r = ReadAs(dir.path(), ImportFormat::kMovieLens);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.feedback.size(), 2u);
  EXPECT_EQ(r.batch.feedback[0].feedback_type, "like");
  EXPECT_EQ(r.batch.feedback[1].feedback_type, "read");
  EXPECT_DOUBLE_EQ(r.batch.feedback[1].value, 3.5);
  ASSERT_EQ(r.batch.items.size(), 3u);
  EXPECT_EQ(r.batch.items[1].item_id, "11");
  EXPECT_EQ(r.batch.items[1].comment, "American President, The (1995)");
  EXPECT_EQ(r.batch.items[1].categories, (std::vector<std::string>{"Comedy", "Drama", "Romance"}));
  EXPECT_TRUE(r.batch.items[2].categories.empty());
  EXPECT_EQ(IssueLines(r), (std::vector<int64_t>{4}));
}

TEST(LightGcnSource, ReadsPairsAsLikesAtTheDefaultTime) {
  TempDir dir("lightgcn");
  auto file = dir.Write("train.txt", "0 0 1 2\n1 2 x\n\n2 5\n3\n");
  Read r = ReadAs(file, ImportFormat::kLightGcn);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.batch.feedback.size(), 4u);
  EXPECT_EQ(r.batch.feedback[3].user_id, "2");
  EXPECT_EQ(r.batch.feedback[3].item_id, "5");
  EXPECT_EQ(r.batch.feedback[3].feedback_type, "like");
  EXPECT_EQ(r.batch.feedback[3].timestamp, kNow);
  EXPECT_EQ(IssueLines(r), (std::vector<int64_t>{2}));
}

TEST(DetectFormat, RecognisesLayoutsByNameAndContent) {
  TempDir dir("detect");
  dir.Write("demo/reco-demo.json", "{}");
  dir.Write("demo/users.jsonl", "");
  dir.Write("ml/u.data", "1\t2\t3\t4\n");
  dir.Write("mll/ratings.csv", "userId,movieId,rating,timestamp\n");
  dir.Write("gcn/train.txt", "0 1 2\n");
  dir.Write("plain/items.json", "[]");
  dir.Write("pairs.txt", "1 2 3\n");
  dir.Write("other.csv", "a,b\n");
  dir.Write("empty/x.bin", "");
  struct Case {
    std::string path;
    std::optional<ImportFormat> expected;
  } cases[] = {
      {"demo", ImportFormat::kJson},
      {"ml", ImportFormat::kMovieLens},
      {"mll", ImportFormat::kMovieLens},
      {"gcn", ImportFormat::kLightGcn},
      {"plain", ImportFormat::kJson},
      {"pairs.txt", ImportFormat::kLightGcn},
      {"ml/u.data", ImportFormat::kMovieLens},
      {"plain/items.json", ImportFormat::kJson},
      {"other.csv", std::nullopt},
      {"empty", std::nullopt},
  };
  for (const auto& c : cases) {
    auto r = DetectFormat(dir.path() / c.path);
    if (c.expected) {
      ASSERT_TRUE(r.ok()) << c.path << ": " << r.status().ToString();
      EXPECT_EQ(*r, *c.expected) << c.path;
    } else {
      EXPECT_FALSE(r.ok()) << c.path;
    }
  }
  auto missing = DetectFormat(dir.path() / "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
}

std::filesystem::path DatasetDir() {
  return std::filesystem::path(RECO_SOURCE_DIR "/../shared/datasets");
}

TEST(LightGcnSource, ParsesGowallaTrain) {
  auto file = DatasetDir() / "gowalla" / "train.txt";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "gowalla dataset absent: " << file;
  Read r = ReadAs(file, ImportFormat::kLightGcn);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.batch.feedback.size(), 810128u);
  EXPECT_TRUE(r.issues.empty());
}

TEST(MovieLensSource, ReadsMlLatestSmallWithoutIssues) {
  auto dir = DatasetDir() / "ml-latest-small";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "ml-latest-small dataset absent: " << dir;
  Read r = ReadAs(dir, ImportFormat::kAuto);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.batch.feedback.size(), 100836u);
  EXPECT_EQ(r.batch.items.size(), 9742u);
  EXPECT_TRUE(r.issues.empty()) << r.issues[0].ToString();
}

}  // namespace
}  // namespace reco::ingest
