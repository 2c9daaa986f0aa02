#include "serving/hash_slots.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

namespace reco {
namespace {

TEST(HashSlots, FindsInsertedEntriesAndComparesKeysOnEqualHashes) {
  HashSlots slots;
  std::vector<int> keys = {10, 20, 30};
  slots.Insert(7, 0);
  slots.Insert(7, 1);  // same hash, another key
  slots.Insert(9, 2);
  auto find = [&](uint64_t hash, int key) {
    return slots.Find(hash, [&](uint32_t p) { return keys[p] == key; });
  };
  EXPECT_EQ(find(7, 10), 0u);
  EXPECT_EQ(find(7, 20), 1u);
  EXPECT_EQ(find(9, 30), 2u);
  EXPECT_EQ(find(9, 10), HashSlots::kNone);
  EXPECT_EQ(find(8, 10), HashSlots::kNone);
  slots.Erase(7, 0);
  EXPECT_EQ(find(7, 10), HashSlots::kNone);
  EXPECT_EQ(find(7, 20), 1u);
  slots.Move(7, 1, 5);
  keys.resize(6);
  keys[5] = 20;
  EXPECT_EQ(find(7, 20), 5u);
  EXPECT_EQ(slots.size(), 2u);
}

// Random inserts and erases with many colliding hashes, checked against a std::map after each
// step: erasing shifts the following slots back and must not lose any of them.
TEST(HashSlots, AgreesWithAMapUnderRandomInsertsAndErases) {
  std::mt19937_64 rng(42);
  HashSlots slots;
  std::map<uint32_t, uint64_t> reference;  // position -> hash
  uint32_t next_position = 0;
  for (int step = 0; step < 20000; ++step) {
    const bool insert = reference.size() < 50 || rng() % 3 != 0;
    if (insert) {
      // Hashes from a small set, so that runs of equal and of neighbouring homes form.
      const uint64_t hash = rng() % 97 * 0x100000001ULL;
      slots.Insert(hash, next_position);
      reference[next_position++] = hash;
    } else {
      auto it = reference.begin();
      std::advance(it, static_cast<long>(rng() % reference.size()));
      slots.Erase(it->second, it->first);
      reference.erase(it);
    }
    if (step % 97 != 0) continue;
    ASSERT_EQ(slots.size(), reference.size());
    for (const auto& [position, hash] : reference) {
      const uint32_t p = position;
      ASSERT_EQ(slots.Find(hash, [p](uint32_t q) { return q == p; }), p) << "step " << step;
    }
  }
  EXPECT_GT(reference.size(), 1000u);
}

}  // namespace
}  // namespace reco
