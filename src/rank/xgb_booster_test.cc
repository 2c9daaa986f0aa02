#include "rank/xgb_booster.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace reco::rank {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Four groups of three rows; the relevant row of each group has feature 0 == 1. Feature 1 is
// noise and partly missing.
struct Toy {
  std::vector<float> x = {1, 5,    0, 2, 0, kNaN,  //
                          0, 1,    1, 3, 0, 2,     //
                          0, kNaN, 0, 4, 1, 1,     //
                          1, 2,    0, 2, 0, 7};
  std::vector<float> y = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0};
  std::vector<uint32_t> groups = {3, 3, 3, 3};
};

Result<XgbBooster> TrainToy(const Toy& toy, const XgbMatrix& m) {
  RECO_ASSIGN_OR_RETURN(XgbBooster b, XgbBooster::Create(m));
  RECO_RETURN_IF_ERROR(b.SetParam("objective", "rank:ndcg"));
  RECO_RETURN_IF_ERROR(b.SetParam("max_depth", "2"));
  RECO_RETURN_IF_ERROR(b.SetParam("min_child_weight", "0"));
  RECO_RETURN_IF_ERROR(b.SetParam("nthread", "1"));
  RECO_RETURN_IF_ERROR(b.SetParam("seed", "3"));
  RECO_RETURN_IF_ERROR(b.SetParam("verbosity", "0"));
  for (int i = 0; i < 10; ++i) RECO_RETURN_IF_ERROR(b.UpdateOneIter(i, m));
  return b;
}

TEST(XgbBooster, LearnsToRankTheRelevantRowFirstInEveryGroup) {
  Toy toy;
  Result<XgbMatrix> m = XgbMatrix::FromDense(toy.x, 12, 2);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE(m->SetLabels(toy.y).ok());
  ASSERT_TRUE(m->SetGroups(toy.groups).ok());
  Result<XgbBooster> b = TrainToy(toy, *m);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  Result<std::vector<float>> p = b->Predict(*m);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->size(), 12u);
  const size_t relevant[4] = {0, 4, 8, 9};
  for (size_t g = 0; g < 4; ++g) {
    for (size_t r = g * 3; r < g * 3 + 3; ++r) {
      if (r == relevant[g]) continue;
      EXPECT_LT((*p)[r], (*p)[relevant[g]]) << "group " << g << " row " << r;
    }
  }
  EXPECT_EQ(*b->NumFeatures(), 2u);
}

TEST(XgbBooster, SavedBytesLoadIntoABoosterWithEqualPredictions) {
  Toy toy;
  Result<XgbMatrix> m = XgbMatrix::FromDense(toy.x, 12, 2);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->SetLabels(toy.y).ok());
  ASSERT_TRUE(m->SetGroups(toy.groups).ok());
  Result<XgbBooster> b = TrainToy(toy, *m);
  ASSERT_TRUE(b.ok());
  Result<std::string> bytes = b->SaveToBuffer();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  Result<XgbBooster> loaded = XgbBooster::LoadFromBuffer(*bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*b->Predict(*m), *loaded->Predict(*m));
}

TEST(XgbBooster, ErrorsAreStatusesCarryingXgboostsMessage) {
  Result<XgbBooster> bad = XgbBooster::LoadFromBuffer("not a model");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("XGBoosterLoadModelFromBuffer"), std::string::npos)
      << bad.status().ToString();

  std::vector<float> x = {1, 2, 3};
  EXPECT_EQ(XgbMatrix::FromDense(x, 2, 2).status().code(), StatusCode::kInvalidArgument);
  Result<XgbMatrix> m = XgbMatrix::FromDense(x, 3, 1);
  ASSERT_TRUE(m.ok());
  std::vector<uint32_t> groups = {2};
  EXPECT_EQ(m->SetGroups(groups).code(), StatusCode::kInvalidArgument);
  Result<XgbBooster> b = XgbBooster::Create(*m);
  ASSERT_TRUE(b.ok());
  // XGBoost checks the objective's name when it is set or, at the latest, when training.
  Status set = b->SetParam("objective", "no:such_objective");
  Status st = set.ok() ? b->UpdateOneIter(0, *m) : set;
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("xgboost"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace reco::rank
