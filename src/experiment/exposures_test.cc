#include "experiment/exposures.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace reco::experiment {
namespace {

constexpr TimestampUs kHour = 3600LL * kMicrosPerSecond;
constexpr TimestampUs kT0 = 1'700'000'000LL * kMicrosPerSecond;

std::string Line(std::string ts, std::string user, std::string experiments, std::string items) {
  return R"({"ts":")" + ts + R"(","request_id":"r","user_id":")" + user +
         R"(","scenario":"recommend","model_version":"m","variant":"primary","experiments":)" +
         experiments + R"(,"items":)" + items + "}";
}

TEST(ParseExposureFor, ReadsTheVariantOfTheExperiment) {
  auto got = ParseExposureFor(Line("2023-11-14T22:13:20Z", "u1",
                                   R"({"exp1":"treatment","exp2":"control"})", R"(["i1","i2"])"),
                              "exp1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->variant, "treatment");
  EXPECT_EQ((*got)->user_id, "u1");
  EXPECT_EQ((*got)->ts, kT0);
  EXPECT_EQ((*got)->items, (std::vector<std::string>{"i1", "i2"}));
}

TEST(ParseExposureFor, SkipsLinesOfOtherExperimentsAndRejectsBadOnes) {
  auto other =
      ParseExposureFor(Line("2023-11-14T22:13:20Z", "u1", R"({"exp2":"a"})", "[]"), "exp1");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value());
  // A line without the field (written before experiments existed).
  auto old =
      ParseExposureFor(R"({"ts":"2023-11-14T22:13:20Z","user_id":"exp1","items":[]})", "exp1");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->has_value());
  EXPECT_FALSE(ParseExposureFor(R"({"experiments":{"exp1":"a"},"ts":"x"})", "exp1").ok());
  EXPECT_EQ(ParseExposureFor(Line("2023-11-14T22:13:20Z", "u1", R"({"exp1":"a"})", "3"), "exp1")
                .status()
                .field(),
            "items");
  EXPECT_FALSE(ParseExposureFor("{not json exp1", "exp1").ok());
}

TEST(ExposureLogFiles, ListsRotatedFilesOldestFirstThenTheLiveLog) {
  auto dir =
      std::filesystem::temp_directory_path() / ("reco_exp_files_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto live = dir / "exposure_log.jsonl";
  for (std::string suffix : {"", ".1", ".2"}) std::ofstream(live.string() + suffix) << "\n";
  auto files = ExposureLogFiles(live);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].filename(), "exposure_log.jsonl.2");
  EXPECT_EQ(files[2].filename(), "exposure_log.jsonl");
  std::ofstream(live) << Line("2023-11-14T22:13:20Z", "u1", R"({"exp1":"a"})", R"(["i"])") << "\n"
                      << "cut {\"exp1\n";
  int seen = 0;
  auto stats = ReadExposures(files, "exp1", [&](ExposureEvent&& e) { seen += e.variant == "a"; });
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(stats->bad_lines, 1);
  std::filesystem::remove_all(dir);
}

ExposureEvent Exposure(TimestampUs ts, std::string user, std::string variant,
                       std::vector<std::string> items) {
  return {ts, std::move(user), std::move(variant), std::move(items)};
}

TEST(ExposureJoin, CountsClickedListsAndConversionsPerUser) {
  ExposureJoin join({"control", "treatment"}, {.click_window_us = kHour});
  join.AddExposure(Exposure(kT0, "u1", "control", {"i1", "i2"}));
  join.AddExposure(Exposure(kT0 + 2 * kHour, "u1", "control", {"i3"}));
  join.AddExposure(Exposure(kT0 + 5 * kHour, "u1", "control", {"i4"}));
  join.AddExposure(Exposure(kT0, "u2", "treatment", {"i1"}));
  join.AddExposure(Exposure(kT0, "u3", "nope", {"i1"}));
  // u1: clicks i2 in time (list 1), i3 too late (list 2 missed), i1 again within list 1's window
  // (the list counts once); a conversion before the first exposure does not count.
  join.AddOutcome("u1", {kT0 + 10, "i2", true, false});
  join.AddOutcome("u1", {kT0 + 20, "i1", true, false});
  join.AddOutcome("u1", {kT0 + 4 * kHour, "i3", true, false});
  join.AddOutcome("u1", {kT0 - 1, "i9", false, true});
  join.AddOutcome("u1", {kT0 + 6 * kHour, "i9", false, true});
  join.AddOutcome("u2", {kT0 + 1, "i7", true, true});  // not an item of its list: no click
  join.AddOutcome("ghost", {kT0, "i1", true, true});
  EXPECT_EQ(join.unknown_variant(), 1);
  EXPECT_TRUE(join.HasUser("u1"));
  EXPECT_FALSE(join.HasUser("ghost"));

  auto counts = join.CountAt(kT0 + 100 * kHour);
  ASSERT_EQ(counts.size(), 2u);
  ASSERT_EQ(counts[0].size(), 1u);
  EXPECT_EQ(counts[0][0].exposures, 3);
  EXPECT_EQ(counts[0][0].clicks, 1);
  EXPECT_EQ(counts[0][0].conversions, 1);
  ASSERT_EQ(counts[1].size(), 1u);
  EXPECT_EQ(counts[1][0].clicks, 0);
  EXPECT_EQ(counts[1][0].conversions, 1);

  // At an earlier cutoff only what happened before it counts.
  auto early = join.CountAt(kT0 + 3 * kHour);
  ASSERT_EQ(early[0].size(), 1u);
  EXPECT_EQ(early[0][0].exposures, 2);
  EXPECT_EQ(early[0][0].conversions, 0);
  EXPECT_TRUE(join.CountAt(kT0)[0].empty());
}

TEST(ExposureJoin, AUserKeepsTheVariantOfTheFirstExposure) {
  ExposureJoin join({"a", "b"});
  join.AddExposure(Exposure(kT0 + 10, "u1", "b", {"i"}));
  join.AddExposure(Exposure(kT0, "u1", "a", {"i"}));
  auto counts = join.CountAt(kT0 + kHour);
  EXPECT_EQ(counts[0].size(), 1u);
  EXPECT_TRUE(counts[1].empty());
  EXPECT_EQ(join.switched_users(), 1);
  EXPECT_EQ(join.first_exposure(), kT0);
}

}  // namespace
}  // namespace reco::experiment
