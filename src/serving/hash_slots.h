// HashSlots: an open-addressing index (linear probing, no tombstones) from a 64-bit hash to a
// position in the caller's dense arrays. The caller keeps the keys and compares them when the
// hash matches, so two keys with the same hash are no error. It replaces a node-based hash map
// on hot paths: a lookup reads one contiguous slot array, an insert allocates only when the
// array doubles, and an erase shifts the following slots back.
//
// Thread-safety: none; the caller's lock guards it. Lifetime: a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace reco {

class HashSlots {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

  // The position of an entry with `hash` for which `matches(position)` is true; kNone if none.
  template <typename Matches>
  uint32_t Find(uint64_t hash, Matches&& matches) const {
    if (size_ == 0) return kNone;
    for (size_t i = Home(hash);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.position == kNone) return kNone;
      if (s.hash == hash && matches(s.position)) return s.position;
    }
  }

  // Asks the CPU to load the slot where a lookup of `hash` starts (a lookup soon after then
  // finds it in cache).
  void Prefetch(uint64_t hash) const {
    if (size_ != 0) __builtin_prefetch(&slots_[Home(hash)]);
  }

  // Adds (hash, position); the pair must not be present.
  void Insert(uint64_t hash, uint32_t position) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    Place(hash, position);
    ++size_;
  }

  // Removes the entry (hash, position), which must be present.
  void Erase(uint64_t hash, uint32_t position) {
    size_t hole = SlotOf(hash, position);
    // Backward shift: move up every following entry of the run that may live in the hole.
    for (size_t j = (hole + 1) & mask_; slots_[j].position != kNone; j = (j + 1) & mask_) {
      const size_t home = Home(slots_[j].hash);
      if (((j - home) & mask_) >= ((j - hole) & mask_)) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole].position = kNone;
    --size_;
  }

  // Points the entry (hash, from) at `to`: the caller moved that key in its arrays.
  void Move(uint64_t hash, uint32_t from, uint32_t to) { slots_[SlotOf(hash, from)].position = to; }

  void Clear() {
    slots_.clear();
    slots_.shrink_to_fit();
    mask_ = 0;
    size_ = 0;
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t position = kNone;
  };

  // Fibonacci hashing: the top bits of hash * 2^64/phi, so that keys sharded by some bits of
  // their hash still spread over the whole array.
  size_t Home(uint64_t hash) const {
    return static_cast<size_t>((hash * 0x9E3779B97F4A7C15ULL) >> shift_) & mask_;
  }

  size_t SlotOf(uint64_t hash, uint32_t position) const {
    size_t i = Home(hash);
    while (slots_[i].position != position || slots_[i].hash != hash) i = (i + 1) & mask_;
    return i;
  }

  void Place(uint64_t hash, uint32_t position) {
    size_t i = Home(hash);
    while (slots_[i].position != kNone) i = (i + 1) & mask_;
    slots_[i] = {hash, position};
  }

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    const size_t capacity = old.empty() ? 16 : old.size() * 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
    for (const Slot& s : old) {
      if (s.position != kNone) Place(s.hash, s.position);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  unsigned shift_ = 64;
  size_t size_ = 0;
};

}  // namespace reco
