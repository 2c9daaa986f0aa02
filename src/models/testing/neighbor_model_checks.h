// Checks shared by the tests of item-neighbour models (item-CF, Swing): two models holding the
// same neighbour lists, and a payload whose truncations and byte flips are rejected (DataLoss)
// or decode to lists that stay in range. Model needs num_items(), NeighborIds(i),
// NeighborSims(i) and a static Deserialize(std::string_view) -> Result<Model>.
//
// Thread-safety: call from the test thread. Lifetime: no state.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::testing {

// Same neighbour ids and bit-identical similarities for every item of `a`.
template <class Model>
void ExpectSameNeighborLists(const Model& a, const Model& b) {
  for (uint32_t i = 0; i < a.num_items(); ++i) {
    auto ia = a.NeighborIds(i);
    auto ib = b.NeighborIds(i);
    ASSERT_TRUE(std::equal(ia.begin(), ia.end(), ib.begin(), ib.end())) << "item " << i;
    auto sa = a.NeighborSims(i);
    auto sb = b.NeighborSims(i);
    ASSERT_TRUE(std::equal(sa.begin(), sa.end(), sb.begin(), sb.end())) << "item " << i;
  }
}

// Every prefix of `payload` of length 0, step, 2*step, ... is rejected; `flips` copies with one
// byte set at random (seeded by `seed`) are either rejected with DataLoss or decode to neighbour
// ids below num_items(), and at least one is rejected.
template <class Model>
void ExpectCorruptPayloadsRejected(std::string_view payload, size_t step, uint32_t seed,
                                   int flips) {
  for (size_t len = 0; len < payload.size(); len += step) {
    EXPECT_FALSE(Model::Deserialize(payload.substr(0, len)).ok()) << "prefix of " << len;
  }
  std::mt19937 rng(seed);
  int rejected = 0;
  for (int trial = 0; trial < flips; ++trial) {
    std::string bad(payload);
    size_t pos = rng() % bad.size();
    bad[pos] = static_cast<char>(rng());
    Result<Model> r = Model::Deserialize(bad);
    if (!r.ok()) {
      ++rejected;
      EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
    } else {
      for (uint32_t i = 0; i < r->num_items(); ++i) {
        for (uint32_t j : r->NeighborIds(i)) ASSERT_LT(j, r->num_items());
      }
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace reco::testing
