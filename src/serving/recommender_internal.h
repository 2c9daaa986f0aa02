// Internals of the Recommender shared by its source files (recommender.cc and
// recommender_scenario.cc): packed candidate keys, per-thread scratch memory and the Request in
// which one list is assembled. Not part of the serving API.
//
// Thread-safety: the scratch memory is per thread; a Request lives on one thread.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "serving/bundle.h"
#include "serving/online_state.h"
#include "serving/recommender.h"

namespace reco {

// A predicate over catalogue indices that a Request consults before it takes an item (a
// scenario's category and label filters). Called under the request's catalogue view.
class ItemFilter {
 public:
  virtual ~ItemFilter() = default;
  virtual bool Keep(uint32_t item) const = 0;
};

}  // namespace reco

namespace reco::recommender_internal {

// A candidate is one 64-bit key: the score's bits, mapped so that unsigned order is float order,
// above the bitwise-inverted catalogue index. A larger key is a better candidate (higher score,
// then lower index), so ranking compares integers.
inline uint64_t Pack(uint32_t item, float score) {
  uint32_t bits = std::bit_cast<uint32_t>(score + 0.0f);  // -0 becomes +0
  bits = (bits & 0x80000000u) != 0 ? ~bits : (bits | 0x80000000u);
  return (static_cast<uint64_t>(bits) << 32) | static_cast<uint32_t>(~item);
}

// Pack() for a score > 0 (any other score gives a key that must be discarded).
inline uint64_t PackPositive(uint32_t item, float score) {
  return (static_cast<uint64_t>(std::bit_cast<uint32_t>(score) | 0x80000000u) << 32) |
         static_cast<uint32_t>(~item);
}

inline uint32_t ItemOf(uint64_t key) { return ~static_cast<uint32_t>(key); }

inline float ScoreOf(uint64_t key) {
  uint32_t bits = static_cast<uint32_t>(key >> 32);
  bits = (bits & 0x80000000u) != 0 ? (bits & 0x7fffffffu) : ~bits;
  return std::bit_cast<float>(bits);
}

// The best `n` keys, best first, in `out` (grown when too small; `keys` is not changed). Keys
// are unique (each packs an item), so the answer is the same whichever way it is found.
inline std::span<const uint64_t> Best(std::span<const uint64_t> keys, size_t n,
                                      std::vector<uint64_t>& out) {
  n = std::min(n, keys.size());
  if (out.size() < keys.size()) out.resize(keys.size());
  uint64_t* best = out.data();
  if (n == 0) return {};
  if (keys.size() > 4 * n + 64) {
    // Heap selection straight from the keys: a min-heap of the best n seen so far. Candidates
    // arrive in no score order, so few beat the heap's smallest; every other key costs one
    // load and one well-predicted comparison, with no store.
    std::copy(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(n), best);
    std::make_heap(best, best + n, std::greater<>());
    uint64_t smallest = best[0];
    for (size_t i = n; i < keys.size(); ++i) {
      const uint64_t key = keys[i];
      if (key <= smallest) continue;
      std::pop_heap(best, best + n, std::greater<>());
      best[n - 1] = key;
      std::push_heap(best, best + n, std::greater<>());
      smallest = best[0];
    }
    std::sort(best, best + n, std::greater<>());
  } else {
    uint64_t* end = std::copy(keys.begin(), keys.end(), best);
    std::partial_sort(best, best + n, end, std::greater<>());
  }
  return std::span<const uint64_t>(best, n);
}

// Asks for every cache line of a neighbour list.
inline void Prefetch(std::span<const ScoredIndex> list) {
  const char* p = reinterpret_cast<const char*>(list.data());
  const char* end = p + list.size_bytes();
  for (; p < end; p += 64) __builtin_prefetch(p);
}

// Per-thread working memory over catalogue indices. Dense arrays are zero between uses; the
// vectors keep their capacity, so a warm thread allocates nothing for a request.
struct Scratch {
  std::vector<float> scores;      // score accumulator
  std::vector<uint8_t> mark;      // PopularKeys: item already listed
  std::vector<uint8_t> taken;     // excluded or already in the answer (one Request)
  std::vector<uint32_t> touched;  // slots written in scores / mark
  std::vector<uint32_t> taken_list;
  std::vector<uint64_t> keys;     // candidates of the current step
  std::vector<uint64_t> cf_keys;  // item-CF candidates (size = capacity: only grows)
  std::vector<uint64_t> best;     // Best() (size = capacity: only grows)
  std::vector<uint64_t> answer;   // the list being assembled
  std::vector<std::pair<uint32_t, float>> live;
  std::vector<std::pair<uint32_t, uint32_t>> taste;  // (category, history items in it)
  std::vector<size_t> quota;
  std::vector<std::vector<uint64_t>> taste_keys;

  void Prepare(size_t n) {
    if (scores.size() >= n) return;
    scores.resize(n, 0.0f);
    mark.resize(n, 0);
    taken.resize(n, 0);
  }
};

inline Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

}  // namespace reco::recommender_internal

namespace reco {

// One list being assembled: the items taken so far (answer order) and the items that may not
// be added (excluded or already present). Releases its marks when it ends.
struct Recommender::Request {
  Request(const ModelBundle* bundle, const OnlineState::CatalogView& view,
          std::string_view category, const std::vector<uint32_t>& history, size_t want,
          RecommendResult& result)
      : bundle(bundle),
        view(view),
        category(category),
        history(history),
        want(want),
        s(recommender_internal::ThreadScratch()),
        result(result) {
    s.Prepare(view.ItemCount());
    s.answer.clear();
  }
  ~Request() {
    for (uint32_t item : s.taken_list) s.taken[item] = 0;
    s.taken_list.clear();
  }
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  size_t size() const { return s.answer.size(); }
  bool full() const { return s.answer.size() >= want; }
  void Take(uint32_t item) {
    if (item < s.taken.size() && s.taken[item] == 0) {
      s.taken[item] = 1;
      s.taken_list.push_back(item);
    }
  }
  // Whether Offer would take `item` (not taken, recommendable, through the filter).
  bool Acceptable(uint32_t item) const {
    return item < s.taken.size() && s.taken[item] == 0 && view.IsRecommendable(item) &&
           (filter == nullptr || filter->Keep(item));
  }
  void Offer(uint64_t key) {
    const uint32_t item = recommender_internal::ItemOf(key);
    if (item < s.taken.size() && s.taken[item] == 0 && view.IsRecommendable(item) &&
        (filter == nullptr || filter->Keep(item))) {
      s.answer.push_back(key);
      Take(item);
    }
  }
  // Appends items of a ranked list until `limit` items are held; returns how many.
  size_t AppendList(std::span<const ScoredIndex> list, size_t limit) {
    const size_t before = size();
    for (const ScoredIndex& e : list) {
      if (size() >= limit) break;
      Offer(recommender_internal::Pack(e.item, e.score));
    }
    return size() - before;
  }
  // Appends the best of `keys` (ranked lazily: the best few first, more only when filtering
  // removed too many) until `limit` items are held; returns how many.
  size_t AppendRanked(std::span<const uint64_t> keys, size_t limit) {
    const size_t before = size();
    if (limit <= before) return 0;
    size_t n = std::min(keys.size(), (limit - before) * 2 + 16);
    size_t checked = 0;
    while (size() < limit && checked < keys.size()) {
      std::span<const uint64_t> best = recommender_internal::Best(keys, n, s.best);
      for (; checked < best.size() && size() < limit; ++checked) Offer(best[checked]);
      n = std::min(keys.size(), n * 4);
    }
    return size() - before;
  }
  // The items added since the last mark came from `source`.
  void Mark(const char* source) {
    const uint32_t end = static_cast<uint32_t>(size());
    const uint32_t last =
        result.source_count == 0 ? 0 : result.sources[result.source_count - 1].end;
    if (end > last && result.source_count < result.sources.size()) {
      result.sources[result.source_count++] = {source, end};
    }
  }
  // Answer items [offset, offset + n) into the result.
  void Write(size_t offset, size_t n) {
    result.offset = static_cast<uint32_t>(offset);
    const size_t end = std::min(s.answer.size(), offset + n);
    if (offset >= end) return;
    // The ids are scattered over the catalogue: ask for all of them before copying any.
    for (size_t i = offset; i < end; ++i) {
      __builtin_prefetch(&view.ItemId(recommender_internal::ItemOf(s.answer[i])));
    }
    result.items.reserve(end - offset);
    for (size_t i = offset; i < end; ++i) {
      result.items.push_back({view.ItemId(recommender_internal::ItemOf(s.answer[i])),
                              recommender_internal::ScoreOf(s.answer[i])});
    }
  }

  const ModelBundle* bundle;
  const OnlineState::CatalogView& view;
  // A scenario's filters (categories, labels); null: the catalogue view's alone.
  const ItemFilter* filter = nullptr;
  std::string_view category;
  const std::vector<uint32_t>& history;
  size_t want;
  recommender_internal::Scratch& s;
  RecommendResult& result;
};

}  // namespace reco
