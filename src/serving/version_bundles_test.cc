#include "serving/version_bundles.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace reco {
namespace {

// A loader over fixed outcomes per run id, counting its calls.
class FakeLoader {
 public:
  explicit FakeLoader(OnlineState& state) : state_(state) {}
  VersionBundles::Loader Fn() {
    return [this](std::string_view run_id) -> Result<std::shared_ptr<const ModelBundle>> {
      ++calls_[std::string(run_id)];
      if (broken_.contains(std::string(run_id))) {
        return Status(StatusCode::kDataLoss, "sha256 mismatch");
      }
      ModelSet set;
      set.run_id = std::string(run_id);
      return ModelBundle::Build(set, state_, 0);
    };
  }
  void Break(const std::string& run_id) { broken_.insert(run_id); }
  void Repair(const std::string& run_id) { broken_.erase(run_id); }
  int calls(const std::string& run_id) { return calls_[run_id]; }

 private:
  OnlineState& state_;
  std::set<std::string> broken_;
  std::map<std::string, int> calls_;
};

class VersionBundlesTest : public ::testing::Test {
 protected:
  double Unavailable(const std::string& run_id) {
    return metrics_.AddCounter("experiment_model_version_unavailable_total", "", {"run_id"})
        ->WithLabels({run_id})
        ->Value();
  }

  OnlineState state_{OnlineStateOptions{}};
  FakeClock clock_{1'000'000};
  MetricsRegistry metrics_;
  FakeLoader loader_{state_};
};

TEST_F(VersionBundlesTest, LoadsAVersionOnceAndKeepsIt) {
  VersionBundles versions(loader_.Fn(), clock_, &metrics_);
  auto first = versions.Get("run-a");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)->run_id(), "run-a");
  EXPECT_EQ((*first)->version_label(), "run-a");
  auto again = versions.Get("run-a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get()) << "the same bundle, not a second load";
  EXPECT_EQ(loader_.calls("run-a"), 1);
  EXPECT_EQ(versions.Loaded(), std::vector<std::string>{"run-a"});
  EXPECT_EQ(Unavailable("run-a"), 0);
}

TEST_F(VersionBundlesTest, AFailedLoadIsRememberedCountedAndRetriedLater) {
  VersionBundles versions(loader_.Fn(), clock_, &metrics_, {.retry_after = 60 * kMicrosPerSecond});
  loader_.Break("run-b");
  auto failed = versions.Get("run-b");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(failed.status().message().find("run-b"), std::string::npos)
      << failed.status().ToString();
  EXPECT_FALSE(versions.Get("run-b").ok());
  EXPECT_EQ(loader_.calls("run-b"), 1) << "the failure is answered from memory";
  EXPECT_EQ(Unavailable("run-b"), 2) << "every request served without its version counts";
  EXPECT_TRUE(versions.Loaded().empty());

  loader_.Repair("run-b");
  clock_.Advance(59 * kMicrosPerSecond);
  EXPECT_FALSE(versions.Get("run-b").ok());
  clock_.Advance(2 * kMicrosPerSecond);
  auto repaired = versions.Get("run-b");
  ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
  EXPECT_EQ(loader_.calls("run-b"), 2);
  EXPECT_EQ(Unavailable("run-b"), 3);
}

TEST_F(VersionBundlesTest, RetainDropsVersionsNoExperimentNames) {
  VersionBundles versions(loader_.Fn(), clock_, &metrics_);
  ASSERT_TRUE(versions.Get("run-a").ok());
  ASSERT_TRUE(versions.Get("run-b").ok());
  loader_.Break("run-c");
  ASSERT_FALSE(versions.Get("run-c").ok());
  const std::vector<std::string> keep = {"run-b", "run-c"};
  versions.Retain(keep);
  EXPECT_EQ(versions.Loaded(), std::vector<std::string>{"run-b"});
  ASSERT_TRUE(versions.Get("run-a").ok());
  EXPECT_EQ(loader_.calls("run-a"), 2) << "a dropped version is loaded again when asked";
  versions.Retain({});
  EXPECT_TRUE(versions.Loaded().empty());
  loader_.Repair("run-c");
  EXPECT_TRUE(versions.Get("run-c").ok()) << "a dropped failure is not remembered either";
}

TEST_F(VersionBundlesTest, PrepareLoadsAheadOfRequestsWithoutCountingFailures) {
  VersionBundles versions(loader_.Fn(), clock_, &metrics_);
  ASSERT_TRUE(versions.Get("old").ok());
  loader_.Break("run-c");
  const std::vector<std::string> running = {"run-a", "run-c"};
  versions.Prepare(running);
  EXPECT_EQ(versions.Loaded(), std::vector<std::string>{"run-a"}) << "old dropped, run-a loaded";
  EXPECT_EQ(Unavailable("run-c"), 0) << "no request was served without it";
  versions.Prepare(running);
  EXPECT_EQ(loader_.calls("run-a"), 1);
  EXPECT_EQ(loader_.calls("run-c"), 1) << "the failure is remembered";
  ASSERT_TRUE(versions.Get("run-a").ok());
  EXPECT_EQ(loader_.calls("run-a"), 1) << "the request finds it loaded";
  EXPECT_FALSE(versions.Get("run-c").ok());
  EXPECT_EQ(Unavailable("run-c"), 1);
}

TEST_F(VersionBundlesTest, KeepsAtMostMaxVersions) {
  VersionBundles versions(loader_.Fn(), clock_, nullptr, {.max_versions = 2});
  for (const char* run : {"r1", "r2", "r3"}) {
    ASSERT_TRUE(versions.Get(run).ok());
    clock_.Advance(1);
  }
  EXPECT_EQ(versions.Loaded(), (std::vector<std::string>{"r2", "r3"}));
}

}  // namespace
}  // namespace reco
