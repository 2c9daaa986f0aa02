// ServiceFixture: the serving objects of `reco serve` around a real SQLite store in a temporary
// directory — online state, recommender, rollout with an exposure log, and the catalogue,
// feedback and recommend services — for tests that call the services without an HTTP server.
// The primary bundle is a holder the test sets directly; `on_degraded` runs inside a
// recommendation (from the recommender's degraded hook), which lets a test swap the bundle in
// the middle of a request without threads or sleeps.
//
// Thread-safety: one test thread. Lifetime: everything is owned by the fixture.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "data/testing/temp_dir.h"
#include "ops/metrics.h"
#include "service/catalogue_service.h"
#include "service/feedback_service.h"
#include "service/recommend_service.h"
#include "serving/bundle.h"
#include "serving/exposure_log.h"
#include "serving/model_manager.h"
#include "serving/online_state.h"
#include "serving/recommender.h"
#include "serving/rollout.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco::service::testing {

inline constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z

class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(reco::testing::OpenTempSqliteStore(dir_.path(), &store_));
    state_ = std::make_unique<OnlineState>(OnlineStateOptions{});
    models_ = std::make_unique<ModelManager>(dir_.path() / "models", *state_, clock_);
    recommender_ = std::make_unique<Recommender>(*state_, primary_, RecommenderOptions{},
                                                 [this](std::string_view reason) {
                                                   if (on_degraded) on_degraded(reason);
                                                 });
    auto log = ExposureLog::Open({.path = dir_.path() / "evaluation" / "exposure_log.jsonl"});
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    log_ = std::move(log).value();
    rollout_ = std::make_unique<Rollout>(*models_, *recommender_, *state_, RecommenderOptions{},
                                         log_.get(), metrics_, clock_);
    MakeServices({});
  }

  // (Re)creates the services with these feedback options.
  void MakeServices(FeedbackServiceOptions options) {
    recommend_.reset();
    feedback_ =
        std::make_unique<FeedbackService>(*store_, *state_, rollout_.get(), metrics_, options);
    catalogue_ = std::make_unique<CatalogueService>(*store_, *state_);
    recommend_ = std::make_unique<RecommendService>(*recommender_, primary_, *state_, *rollout_,
                                                    *feedback_, clock_);
  }

  // Items "i0".."i<n-1>", item k dated kT0 - k seconds (i0 is the latest).
  void PutItems(int n, std::vector<std::string> categories = {}) {
    std::vector<Item> items;
    for (int k = 0; k < n; ++k) {
      items.push_back({.item_id = "i" + std::to_string(k),
                       .categories = categories,
                       .timestamp = kT0 - k * kMicrosPerSecond});
    }
    ASSERT_TRUE(catalogue_->PutItems(items).ok());
  }

  // Books i0..i3 (i0 the newest), liked so that live popularity is i1 (2 likes), i2 (1).
  void PutLikedBooks() {
    ASSERT_NO_FATAL_FAILURE(PutItems(4, {"books"}));
    std::vector<Feedback> likes = {Row("like", "u1", "i1"), Row("like", "u2", "i1"),
                                   Row("like", "u2", "i2")};
    ASSERT_TRUE(feedback_->Write({.rows = likes}).ok());
  }

  double Ingested(std::string_view kind) {
    return metrics_.AddCounter("feedback_ingested_total", "", {"kind"})
        ->WithLabels({std::string(kind)})
        ->Value();
  }

  // The exposure log's lines, once every record appended so far is written.
  std::vector<std::string> ExposureLines() {
    log_->Flush();
    std::vector<std::string> lines;
    std::ifstream in(log_->path());
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  static Feedback Row(std::string type, std::string user, std::string item) {
    return {.feedback_type = std::move(type),
            .user_id = std::move(user),
            .item_id = std::move(item),
            .timestamp = kT0};
  }

  reco::testing::TempDir dir_{"service"};
  std::unique_ptr<Store> store_;
  FakeClock clock_{kT0};
  MetricsRegistry metrics_;
  std::unique_ptr<OnlineState> state_;
  BundleHolder primary_;
  std::unique_ptr<ModelManager> models_;
  std::function<void(std::string_view)> on_degraded;
  std::unique_ptr<Recommender> recommender_;
  std::unique_ptr<ExposureLog> log_;
  std::unique_ptr<Rollout> rollout_;
  std::unique_ptr<FeedbackService> feedback_;
  std::unique_ptr<CatalogueService> catalogue_;
  std::unique_ptr<RecommendService> recommend_;
};

}  // namespace reco::service::testing
