// The experiments part of the Store contract, in the style of store_conformance_test.cc:
// value-parameterised over a backend factory (add a backend to INSTANTIATE_TEST_SUITE_P).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store/testing/store_fixture.h"

namespace reco {
namespace {

ExperimentRecord TwoArms(std::string id, std::string layer = "home") {
  ExperimentRecord e;
  e.id = std::move(id);
  e.name = "ranker test \"x\"";
  e.layer = std::move(layer);
  e.traffic = 0.25;
  e.variants = {{"control", 1.0, "scenario", "home_feed"},
                {"treatment", 3.0, "model_version", "run-42"}};
  e.click_types = {"click"};
  e.conversion_types = {"purchase", "star"};
  e.created_at = 100;
  e.updated_at = 100;
  return e;
}

class StoreExperimentsTest : public testing::StoreFixture {
 protected:
};

void ExpectSame(const ExperimentRecord& got, const ExperimentRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.layer, want.layer);
  EXPECT_EQ(got.status, want.status);
  EXPECT_DOUBLE_EQ(got.traffic, want.traffic);
  ASSERT_EQ(got.variants.size(), want.variants.size());
  for (size_t i = 0; i < want.variants.size(); ++i) {
    EXPECT_EQ(got.variants[i].name, want.variants[i].name);
    EXPECT_DOUBLE_EQ(got.variants[i].weight, want.variants[i].weight);
    EXPECT_EQ(got.variants[i].target_kind, want.variants[i].target_kind);
    EXPECT_EQ(got.variants[i].target, want.variants[i].target);
  }
  EXPECT_EQ(got.click_types, want.click_types);
  EXPECT_EQ(got.conversion_types, want.conversion_types);
  EXPECT_EQ(got.started_at, want.started_at);
  EXPECT_EQ(got.stopped_at, want.stopped_at);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.updated_at, want.updated_at);
  EXPECT_EQ(got.bucket_offset, want.bucket_offset);
}

TEST_P(StoreExperimentsTest, InsertedExperimentReadsBackWithItsVariantsInOrder) {
  ExperimentRecord e = TwoArms("exp1");
  ASSERT_TRUE(store_->InsertExperiment(e).ok());
  auto got = store_->GetExperiment("exp1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectSame(*got, e);
  EXPECT_EQ(store_->GetExperiment("nope").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreExperimentsTest, DuplicateIdIsAlreadyExistsAndKeepsTheFirst) {
  ASSERT_TRUE(store_->InsertExperiment(TwoArms("exp1", "a")).ok());
  EXPECT_EQ(store_->InsertExperiment(TwoArms("exp1", "b")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->GetExperiment("exp1")->layer, "a");
  EXPECT_EQ(store_->GetExperiment("exp1")->variants.size(), 2u);
  EXPECT_EQ(store_->InsertExperiment(TwoArms("")).code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreExperimentsTest, UpdateReplacesEveryFieldAndTheVariants) {
  ASSERT_TRUE(store_->InsertExperiment(TwoArms("exp1")).ok());
  ExperimentRecord e = TwoArms("exp1");
  e.status = "running";
  e.traffic = 0.5;
  e.variants = {{"a", 1, "scenario", "s1"}, {"b", 1, "scenario", "s2"}, {"c", 2, "scenario", "s3"}};
  e.click_types = {};
  e.started_at = 200;
  e.updated_at = 200;
  e.bucket_offset = 2500;
  ASSERT_TRUE(store_->UpdateExperiment(e).ok());
  ExpectSame(store_->GetExperiment("exp1").value(), e);
  e.id = "ghost";
  EXPECT_EQ(store_->UpdateExperiment(e).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetExperiment("ghost").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreExperimentsTest, ListIsOrderedByIdAndDeleteRemovesVariants) {
  for (std::string id : {"b", "c", "a"}) ASSERT_TRUE(store_->InsertExperiment(TwoArms(id)).ok());
  auto listed = store_->ListExperiments();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].id + (*listed)[1].id + (*listed)[2].id, "abc");
  for (const auto& e : *listed) EXPECT_EQ(e.variants.size(), 2u);
  EXPECT_EQ(store_->DeleteExperiment("b").value(), 1);
  EXPECT_EQ(store_->DeleteExperiment("b").value(), 0);
  EXPECT_EQ(store_->ListExperiments()->size(), 2u);
  // A new experiment under the deleted id starts without the old variants.
  ExperimentRecord again = TwoArms("b");
  again.variants.resize(1);
  ASSERT_TRUE(store_->InsertExperiment(again).ok());
  EXPECT_EQ(store_->GetExperiment("b")->variants.size(), 1u);
}

TEST_P(StoreExperimentsTest, ReopenKeepsExperiments) {
  ExperimentRecord e = TwoArms("exp1");
  e.status = "stopped";
  e.started_at = 10;
  e.stopped_at = 20;
  ASSERT_TRUE(store_->InsertExperiment(e).ok());
  Reopen();
  ExpectSame(store_->GetExperiment("exp1").value(), e);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreExperimentsTest,
                         ::testing::Values(testing::SqliteBackend(),
                                           testing::PostgresBackend()), testing::BackendName);

}  // namespace
}  // namespace reco
