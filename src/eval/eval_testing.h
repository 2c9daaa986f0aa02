// Test helpers for the eval module: a small hand-made Dataset and split formatting.
// For tests only. Not thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/time.h"
#include "data/dataset.h"
#include "eval/protocol.h"

namespace reco::eval::testing {

struct Interaction {
  int user;
  int item;
  int time_seconds;
};

inline std::string Id(char prefix, int n) {
  std::string id(1, prefix);
  id += std::to_string(n);
  return id;
}

// Users "u0".."u{num_users-1}" and items "i0".."i{num_items-1}" keep their number as index.
inline Dataset MakeDataset(int num_users, int num_items, const std::vector<Interaction>& pairs) {
  DatasetBuilder builder;
  for (int u = 0; u < num_users; ++u) builder.AddUser(Id('u', u));
  for (int i = 0; i < num_items; ++i) builder.AddItem(Id('i', i));
  for (const Interaction& p : pairs) {
    builder.AddPositive(static_cast<uint32_t>(p.user), static_cast<uint32_t>(p.item),
                        TimestampUs{p.time_seconds} * kMicrosPerSecond);
  }
  return std::move(builder).Build();
}

// The six-user dataset the protocol tests use (times in seconds):
// u0: i0@1 i1@2 i2@3 i3@4 i4@5   u1: i1@5 i2@1 i5@3   u2: i6@2   u3: i0@6 i7@7
// u4: i3@3 i4@4 i5@8 i6@9        u5: no positives
inline Dataset SixUsers() {
  return MakeDataset(6, 8,
                     {{0, 0, 1},
                      {0, 1, 2},
                      {0, 2, 3},
                      {0, 3, 4},
                      {0, 4, 5},
                      {1, 1, 5},
                      {1, 2, 1},
                      {1, 5, 3},
                      {2, 6, 2},
                      {3, 0, 6},
                      {3, 7, 7},
                      {4, 3, 3},
                      {4, 4, 4},
                      {4, 5, 8},
                      {4, 6, 9}});
}

inline std::string Join(const std::vector<uint32_t>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(v[i]);
  }
  return out;
}

// "user:[test] ..." (and "/[fold_in]" when the split uses fold-in histories).
inline std::string Describe(const EvalSplit& split) {
  std::string out;
  for (const HeldOutUser& u : split.users) {
    if (!out.empty()) out += ' ';
    out += std::to_string(u.user) + ":[" + Join(u.test) + "]";
    if (split.uses_fold_in) out += "/[" + Join(u.fold_in) + "]";
  }
  return out;
}

}  // namespace reco::eval::testing
