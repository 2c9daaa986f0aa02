#include "ingest/demo_data.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "core/file_util.h"
#include "ingest/importer.h"
#include "ingest/testing/temp_dir.h"

namespace reco::ingest {
namespace {

using testing::TempDir;

constexpr int64_t kDay = 86400 * kMicrosPerSecond;
// The injected "now" of these tests (2031-03-04T05:06:07.5Z): never the wall clock.
const FakeClock kClock(1930450000LL * kMicrosPerSecond + 500000);

class CollectingSink final : public DemoDataSink {
 public:
  std::vector<Item> items;
  std::vector<User> users;
  std::unordered_map<std::string, std::vector<std::string>> clusters;
  std::vector<Feedback> feedback;

  Status OnItem(const Item& item) override {
    items.push_back(item);
    return Status::Ok();
  }
  Status OnUser(const User& user, const std::vector<std::string>& c) override {
    users.push_back(user);
    clusters[user.user_id] = c;
    return Status::Ok();
  }
  Status OnFeedback(const Feedback& f) override {
    feedback.push_back(f);
    return Status::Ok();
  }
};

TEST(DemoData, SameSeedGivesByteIdenticalFiles) {
  TempDir a("demo_a"), b("demo_b"), c("demo_c");
  DemoDataOptions options;
  options.users = 300;
  options.items = 500;
  ASSERT_TRUE(WriteDemoData(a.path(), options, kClock).ok());
  ASSERT_TRUE(WriteDemoData(b.path(), options, kClock).ok());
  options.seed = 7;
  ASSERT_TRUE(WriteDemoData(c.path(), options, kClock).ok());
  for (const char* name : {"users.jsonl", "items.jsonl", "feedback.jsonl", "reco-demo.json"}) {
    auto fa = ReadFile(a.path() / name);
    auto fb = ReadFile(b.path() / name);
    auto fc = ReadFile(c.path() / name);
    ASSERT_TRUE(fa.ok() && fb.ok() && fc.ok()) << name;
    EXPECT_FALSE(fa->empty()) << name;
    EXPECT_EQ(*fa, *fb) << name;
    EXPECT_NE(*fa, *fc) << name;
  }
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(a.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 4) << "no temporary files are left behind";
}

TEST(DemoData, HasARealisticShape) {
  CollectingSink sink;
  DemoDataOptions options;  // 1000 users, 2000 items
  auto stats = GenerateDemoData(options, kClock, sink);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(sink.users.size(), 1000u);
  ASSERT_EQ(sink.items.size(), 2000u);
  EXPECT_EQ(stats->feedback, static_cast<int64_t>(sink.feedback.size()));

  // Power law: the top 10% of items get more than 40% of the feedback.
  std::unordered_map<std::string, int64_t> per_item;
  for (const auto& f : sink.feedback) ++per_item[f.item_id];
  std::vector<int64_t> counts;
  for (const auto& [id, n] : per_item) counts.push_back(n);
  std::sort(counts.rbegin(), counts.rend());
  int64_t top = 0;
  for (size_t i = 0; i < sink.items.size() / 10 && i < counts.size(); ++i) top += counts[i];
  EXPECT_GT(static_cast<double>(top), 0.4 * static_cast<double>(sink.feedback.size()));

  // Users concentrate in their taste clusters.
  std::unordered_map<std::string, const Item*> items;
  for (const auto& item : sink.items) items[item.item_id] = &item;
  int64_t in_cluster = 0, reads = 0;
  std::map<std::string, int64_t> types;
  for (const auto& f : sink.feedback) {
    ++types[f.feedback_type];
    if (f.feedback_type != "read") continue;
    ++reads;
    const auto& c = sink.clusters[f.user_id];
    const auto& cats = items[f.item_id]->categories;
    if (std::any_of(cats.begin(), cats.end(), [&](const std::string& x) {
          return std::find(c.begin(), c.end(), x) != c.end();
        })) {
      ++in_cluster;
    }
  }
  EXPECT_GT(static_cast<double>(in_cluster), 0.75 * static_cast<double>(reads));

  // Interactions per user, feedback types, hidden share, timestamps inside the window.
  double per_user = static_cast<double>(reads) / static_cast<double>(sink.users.size());
  EXPECT_GE(per_user, 20.0);
  EXPECT_LE(per_user, 60.0);
  for (const char* type : {"read", "like", "star", "purchase", "dislike"}) {
    EXPECT_GT(types[type], 0) << type;
  }
  EXPECT_GT(types["read"], types["like"]);
  int64_t hidden = std::count_if(sink.items.begin(), sink.items.end(),
                                 [](const Item& i) { return i.is_hidden; });
  EXPECT_GT(hidden, 20);
  EXPECT_LT(hidden, 120);
  TimestampUs start = stats->reference_time - options.days * 86400LL * kMicrosPerSecond;
  for (const auto& f : sink.feedback) {
    ASSERT_GE(f.timestamp, start);
    ASSERT_LE(f.timestamp, stats->reference_time);
    ASSERT_GE(f.timestamp, items[f.item_id]->timestamp) << "feedback precedes the item";
  }
  std::set<std::string> categories;
  for (const auto& item : sink.items)
    categories.insert(item.categories.begin(), item.categories.end());
  EXPECT_EQ(categories.size(), DemoCategories().size());
}

TEST(DemoData, OutputImportsCleanlyAsGorseJson) {
  TempDir dir("demo_import");
  DemoDataOptions options;
  options.users = 200;
  options.items = 300;
  auto stats = WriteDemoData(dir.path(), options, kClock);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_EQ(*DetectFormat(dir.path()), ImportFormat::kJson);
  ImportOptions import;
  import.paths = {dir.path()};
  import.clock = &kClock;  // imported at the time it was generated: nothing is in the future
  auto read = ReadImport(import);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_TRUE(read->issues.empty()) << read->issues[0].ToString();
  EXPECT_EQ(read->stats.users, 200);
  EXPECT_EQ(read->stats.items, 300);
  EXPECT_EQ(read->stats.feedback, stats->feedback);
}

TEST(DemoData, RejectsBadOptions) {
  CollectingSink sink;
  DemoDataOptions options;
  options.users = 0;
  auto r = GenerateDemoData(options, kClock, sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "--users");
  options = {};
  options.end = -kDay;
  r = GenerateDemoData(options, kClock, sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().field(), "--end");
}

// The newest and oldest feedback times of a generated dataset.
std::pair<TimestampUs, TimestampUs> FeedbackSpan(const CollectingSink& sink) {
  TimestampUs oldest = kMaxTimestamp, newest = kMinTimestamp;
  for (const auto& f : sink.feedback) {
    oldest = std::min(oldest, f.timestamp);
    newest = std::max(newest, f.timestamp);
  }
  return {oldest, newest};
}

TEST(DemoData, FeedbackEndsAtTheClocksNowByDefault) {
  CollectingSink sink;
  DemoDataOptions options;
  options.users = 300;
  options.items = 500;
  auto stats = GenerateDemoData(options, kClock, sink);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_FALSE(sink.feedback.empty());
  const TimestampUs now = kClock.NowMicros();
  EXPECT_EQ(stats->reference_time, now - now % kMicrosPerSecond);
  auto [oldest, newest] = FeedbackSpan(sink);
  EXPECT_LE(newest, now);
  EXPECT_GT(newest, now - kDay) << "the newest feedback is within a day of now";
  EXPECT_GE(oldest, now - options.days * kDay - kMicrosPerSecond);
  for (const auto& item : sink.items) EXPECT_LE(item.timestamp, now) << item.item_id;
}

TEST(DemoData, EndOptionFixesTheWindowAndTheFiles) {
  DemoDataOptions options;
  options.users = 300;
  options.items = 500;
  options.days = 10;
  options.end = ParseTimestamp("2021-06-01T12:00:00Z").value();
  CollectingSink sink;
  auto stats = GenerateDemoData(options, kClock, sink);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  ASSERT_FALSE(sink.feedback.empty());
  EXPECT_EQ(stats->reference_time, *options.end);
  auto [oldest, newest] = FeedbackSpan(sink);
  EXPECT_LE(newest, *options.end);
  EXPECT_GT(newest, *options.end - kDay);
  EXPECT_GE(oldest, *options.end - 10 * kDay);

  // The clock plays no part once --end is given: same seed and end, same bytes.
  TempDir a("demo_end_a"), b("demo_end_b");
  ASSERT_TRUE(WriteDemoData(a.path(), options, kClock).ok());
  ASSERT_TRUE(WriteDemoData(b.path(), options, FakeClock(kClock.NowMicros() + 400 * kDay)).ok());
  for (const char* name : {"users.jsonl", "items.jsonl", "feedback.jsonl", "reco-demo.json"}) {
    auto fa = ReadFile(a.path() / name);
    auto fb = ReadFile(b.path() / name);
    ASSERT_TRUE(fa.ok() && fb.ok()) << name;
    EXPECT_EQ(*fa, *fb) << name;
  }
  EXPECT_NE(ReadFile(a.path() / "reco-demo.json")->find("2021-06-01T12:00:00Z"), std::string::npos);
}

}  // namespace
}  // namespace reco::ingest
