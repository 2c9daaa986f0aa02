#include "serving/exposure_log.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "data/testing/synthetic_dataset.h"
#include "data/testing/temp_dir.h"

namespace reco {
namespace {

std::vector<std::string> Lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

ExposureRecord Record(int k) {
  // k < 10 keeps every line the same length.
  return {.ts = 1'795'489'200'000'000,
          .request_id = testing::Id('r', k),
          .user_id = testing::Id('"', k),
          .scenario = "recommend",
          .model_version = "20261124T030000Z-abc123",
          .variant = "canary",
          .items = {"i1", "i2"}};
}

TEST(ExposureLog, LineHasTheContractFieldsInOrder) {
  EXPECT_EQ(ExposureToJson(Record(0)),
            "{\"ts\":\"2026-11-24T03:00:00Z\",\"request_id\":\"r0\",\"user_id\":\"\\\"0\","
            "\"scenario\":\"recommend\",\"model_version\":\"20261124T030000Z-abc123\","
            "\"variant\":\"canary\",\"items\":[\"i1\",\"i2\"]}");
}

TEST(ExposureLog, LineNamesTheExperimentsOfTheUserWhenThereAreAny) {
  ExposureRecord record = Record(0);
  record.experiments = {{"exp1", "treatment"}, {"exp\"2", "control"}};
  EXPECT_EQ(ExposureToJson(record),
            "{\"ts\":\"2026-11-24T03:00:00Z\",\"request_id\":\"r0\",\"user_id\":\"\\\"0\","
            "\"scenario\":\"recommend\",\"model_version\":\"20261124T030000Z-abc123\","
            "\"variant\":\"canary\",\"experiments\":{\"exp1\":\"treatment\",\"exp\\\"2\":"
            "\"control\"},\"items\":[\"i1\",\"i2\"]}");
}

TEST(ExposureLine, ParsesWhatTheLogWrites) {
  ExposureRecord record = Record(3);
  record.ts += 250'000;
  record.experiments = {{"exp1", "treatment"}, {"exp\"2", "control"}};
  auto parsed = ParseExposureLine(ExposureToJson(record));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->ts, record.ts);
  EXPECT_EQ(parsed->request_id, record.request_id);
  EXPECT_EQ(parsed->user_id, record.user_id);
  EXPECT_EQ(parsed->scenario, record.scenario);
  EXPECT_EQ(parsed->model_version, record.model_version);
  EXPECT_EQ(parsed->variant, record.variant);
  EXPECT_EQ(parsed->experiments, record.experiments);
  EXPECT_EQ(parsed->items, record.items);
}

TEST(ExposureLine, NamesTheFieldOfABadLine) {
  auto field = [](std::string_view line) { return ParseExposureLine(line).status().field(); };
  EXPECT_FALSE(ParseExposureLine(R"({"ts":"2026-11-24T03:00:00Z","user_id":)").ok());
  EXPECT_EQ(field(R"({"user_id":"u","items":[]})"), "ts");
  EXPECT_EQ(field(R"({"ts":"yesterday","user_id":"u","items":[]})"), "ts");
  EXPECT_EQ(field(R"({"ts":"2026-11-24T03:00:00Z","user_id":"","items":[]})"), "user_id");
  EXPECT_EQ(field(R"({"ts":"2026-11-24T03:00:00Z","user_id":"u","items":[1]})"), "items");
  EXPECT_EQ(field(R"({"ts":"2026-11-24T03:00:00Z","user_id":"u","scenario":3,"items":[]})"),
            "scenario");
  EXPECT_EQ(field(R"({"ts":"2026-11-24T03:00:00Z","user_id":"u","experiments":["e"],"items":[]})"),
            "experiments");
  auto minimal = ParseExposureLine(R"({"ts":"2026-11-24T03:00:00Z","user_id":"u","items":[]})");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->scenario, "");
  EXPECT_TRUE(minimal->experiments.empty());
}

TEST(ExposureLine, LogFilesAreListedOldestFirst) {
  testing::TempDir dir("exposure_line");
  const auto live = dir.path() / "exposure_log.jsonl";
  EXPECT_TRUE(ExposureLogFiles(live).empty());
  for (std::string suffix : {"", ".1", ".2", ".4"}) std::ofstream(live.string() + suffix) << "x\n";
  // .4 is not listed: .3 is missing.
  EXPECT_EQ(ExposureLogFiles(live),
            (std::vector<std::filesystem::path>{live.string() + ".2", live.string() + ".1", live}));
  std::vector<std::string> read;
  ASSERT_TRUE(ForEachExposureLine(ExposureLogFiles(live), [&](std::string_view line) {
                read.emplace_back(line);
                return read.size() < 2;
              }).ok());
  EXPECT_EQ(read.size(), 2u) << "false stops the read";
}

TEST(ExposureLine, ReadingFromATimeSkipsTheLinesBeforeIt) {
  testing::TempDir dir("exposure_line_from");
  const auto live = dir.path() / "exposure_log.jsonl";
  constexpr int kLines = 20000;
  {
    std::ofstream out(live);
    for (int i = 0; i < kLines; ++i) {
      ExposureRecord r = Record(i % 10);
      r.ts += int64_t{i} * kMicrosPerSecond;
      r.request_id = std::to_string(i);
      out << ExposureToJson(r) << "\n";
      if (i == 7000) out << "{\"cut\n";  // a bad line on the way does not mislead the search
    }
  }
  auto first_read = [&](TimestampUs from) {
    int first = -1, count = 0;
    EXPECT_TRUE(ForEachExposureLine(
                    {live},
                    [&](std::string_view line) {
                      auto e = ParseExposureLine(line);
                      if (e.ok() && first < 0) first = std::stoi(e->request_id);
                      ++count;
                      return true;
                    },
                    from)
                    .ok());
    return std::pair{first, count};
  };
  const TimestampUs t0 = Record(0).ts;
  for (int target : {0, 1, 6999, 7001, 15000, kLines - 1}) {
    auto [first, count] = first_read(t0 + int64_t{target} * kMicrosPerSecond);
    EXPECT_LE(first, target) << "no line at or after `from` is skipped";
    // Lines are ~190 bytes: at most 64 KiB (~350 lines) before the target are read.
    EXPECT_GE(first, target - 400) << target;
    EXPECT_LE(count, kLines - target + 402) << target;
  }
  // After the last line: at most the last 64 KiB are read.
  EXPECT_LE(first_read(t0 + int64_t{kLines} * kMicrosPerSecond).second, 400);
  EXPECT_EQ(first_read(kMinTimestamp).second, kLines + 1) << "the whole file, the bad line too";
}

TEST(ExposureLog, TimestampsHaveTheSharedFormat) {
  // Whole seconds, fractions with trailing zeros dropped, seconds shared by consecutive lines,
  // and times before 1970.
  for (TimestampUs ts : {TimestampUs{1'795'489'200'000'000}, TimestampUs{1'795'489'200'123'400},
                         TimestampUs{1'795'489'200'000'001}, TimestampUs{1'795'489'201'999'999},
                         TimestampUs{-1'500'000}, TimestampUs{0}}) {
    ExposureRecord record = Record(0);
    record.ts = ts;
    EXPECT_NE(ExposureToJson(record).find("{\"ts\":\"" + FormatTimestamp(ts) + "\","),
              std::string::npos)
        << ts << ": " << ExposureToJson(record);
  }
}

TEST(ExposureLog, AppendsLinesInOrderAndCreatesTheDirectory) {
  testing::TempDir dir("exposure_log");
  auto path = dir.path() / "evaluation" / "exposure_log.jsonl";
  auto log = ExposureLog::Open({.path = path});
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  for (int k = 0; k < 3; ++k) ASSERT_TRUE((*log)->Append(Record(k)));
  (*log)->Flush();
  EXPECT_EQ((*log)->written(), 3u);
  std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2], ExposureToJson(Record(2)));
}

TEST(ExposureLog, RotatesPastTheSizeAndKeepsNFiles) {
  testing::TempDir dir("exposure_log");
  auto path = dir.path() / "exposure_log.jsonl";
  const size_t line_bytes = ExposureToJson(Record(0)).size() + 1;
  // Two lines fit; the third starts a new file. Keep two rotated files.
  auto log = ExposureLog::Open({.path = path, .max_bytes = 2 * line_bytes, .keep_rotated = 2});
  ASSERT_TRUE(log.ok());
  for (int k = 0; k < 7; ++k) {  // files: [0,1] [2,3] [4,5] [6]
    ASSERT_TRUE((*log)->Append(Record(k)));
    (*log)->Flush();
  }
  EXPECT_EQ((*log)->rotations(), 3u);
  EXPECT_EQ(Lines(path), std::vector<std::string>{ExposureToJson(Record(6))});
  EXPECT_EQ(Lines(path.string() + ".1"),
            (std::vector<std::string>{ExposureToJson(Record(4)), ExposureToJson(Record(5))}));
  EXPECT_EQ(Lines(path.string() + ".2"),
            (std::vector<std::string>{ExposureToJson(Record(2)), ExposureToJson(Record(3))}));
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".3"));
}

TEST(ExposureLog, ReopeningAppendsAndCountsTheExistingSize) {
  testing::TempDir dir("exposure_log");
  auto path = dir.path() / "exposure_log.jsonl";
  const size_t line_bytes = ExposureToJson(Record(0)).size() + 1;
  {
    auto log = ExposureLog::Open({.path = path});
    ASSERT_TRUE(log.ok());
    (*log)->Append(Record(0));
  }  // the destructor writes what is queued
  auto log = ExposureLog::Open({.path = path, .max_bytes = line_bytes + 1});
  ASSERT_TRUE(log.ok());
  (*log)->Append(Record(1));
  (*log)->Flush();
  EXPECT_EQ(Lines(path), std::vector<std::string>{ExposureToJson(Record(1))});
  EXPECT_EQ(Lines(path.string() + ".1"), std::vector<std::string>{ExposureToJson(Record(0))});
}

TEST(ExposureLog, DropsWhenTheQueueIsFullInsteadOfBlocking) {
  testing::TempDir dir("exposure_log");
  auto log = ExposureLog::Open({.path = dir.path() / "x.jsonl", .queue_capacity = 0});
  ASSERT_TRUE(log.ok());
  EXPECT_FALSE((*log)->Append(Record(0)));
  EXPECT_FALSE((*log)->Append(Record(1)));
  EXPECT_EQ((*log)->dropped(), 2u);
  (*log)->Flush();
  EXPECT_EQ((*log)->written(), 0u);
}

TEST(ExposureLog, OpenNamesAPathThatCannotBeCreated) {
  testing::TempDir dir("exposure_log");
  ASSERT_TRUE(std::ofstream(dir.path() / "file").good());
  auto log = ExposureLog::Open({.path = dir.path() / "file" / "sub" / "x.jsonl"});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.status().message().find((dir.path() / "file").string()), std::string::npos)
      << log.status().ToString();
}

}  // namespace
}  // namespace reco
