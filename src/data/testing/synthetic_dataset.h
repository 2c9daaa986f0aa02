// Small synthetic Datasets for model tests: items "i0".."iN", users "u0".."uM", positives given
// as (user, item) index pairs or drawn at random with a popularity skew towards low indices.
//
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"

namespace reco::testing {

// "u7", "i3": built by append (GCC 12 warns falsely on "literal" + std::string).
inline std::string Id(char prefix, int n) {
  std::string id(1, prefix);
  id += std::to_string(n);
  return id;
}

// `users` users and `items` items; item i is hidden when hidden_every > 0 and
// i % hidden_every == 0, or when i == hidden_item.
inline Dataset LikesDataset(int users, int items, const std::vector<std::pair<int, int>>& likes,
                            int hidden_item = -1, int hidden_every = 0) {
  DatasetBuilder b;
  for (int i = 0; i < items; ++i) {
    b.AddItem(Id('i', i), i == hidden_item || (hidden_every > 0 && i % hidden_every == 0));
  }
  for (int u = 0; u < users; ++u) b.AddUser(Id('u', u));
  for (auto [u, i] : likes) b.AddPositive(uint32_t(u), uint32_t(i), 0);
  return std::move(b).Build();
}

// Items `visible` then `hidden` (by id, in that order), and "like" feedback for each
// (user id, item id) pair; users appear in order of their first like.
inline Dataset NamedLikesDataset(const std::vector<std::string>& visible,
                                 const std::vector<std::string>& hidden,
                                 const std::vector<std::pair<std::string, std::string>>& likes) {
  DatasetBuilder b;
  for (const std::string& id : visible) b.AddItem(id);
  for (const std::string& id : hidden) b.AddItem(id, /*is_hidden=*/true);
  for (const auto& [user, item] : likes) {
    Feedback f;
    f.feedback_type = "like";
    f.user_id = user;
    f.item_id = item;
    b.AddFeedback(f);
  }
  return std::move(b).Build();
}

// Items a b c and hidden h; u1 likes a b c, u2 a b, u3 b c, u4 a, and each of `h_likers` ("u1",
// ...) likes h. The small item-item fixture of the neighbourhood-model tests.
inline Dataset AbcLikesDataset(const std::vector<std::string>& h_likers) {
  std::vector<std::pair<std::string, std::string>> likes = {{"u1", "a"}, {"u1", "b"}, {"u1", "c"},
                                                            {"u2", "a"}, {"u2", "b"}, {"u3", "b"},
                                                            {"u3", "c"}, {"u4", "a"}};
  for (const std::string& user : h_likers) likes.emplace_back(user, "h");
  return NamedLikesDataset({"a", "b", "c"}, {"h"}, likes);
}

// `per_user` draws per user of min(two uniform items): low indices are popular. Seeded.
inline Dataset RandomLikesDataset(int users, int items, int per_user, uint32_t seed,
                                  int hidden_every = 0) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, items - 1);
  std::vector<std::pair<int, int>> likes;
  for (int u = 0; u < users; ++u) {
    for (int k = 0; k < per_user; ++k) {
      const int a = pick(rng);
      const int b = pick(rng);
      likes.emplace_back(u, std::min(a, b));
    }
  }
  return LikesDataset(users, items, likes, -1, hidden_every);
}

}  // namespace reco::testing
