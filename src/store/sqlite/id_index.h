// IdIndex: the in-memory interning table of one id space (users, items or feedback types):
// id → idx for writes and filters, idx → id for turning scanned integer rows back into ids.
// Writes are journaled per transaction so that a failed transaction can be undone exactly.
//
// Thread-safety: none of its own. The store mutates it only under its writer mutex plus the
// exclusive side of its id lock, and reads it under either. Names of removed ids stay
// resolvable so that readers holding an older snapshot can still map their rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace reco::sqlite {

class IdIndex {
 public:
  // Registers an existing row (used while loading at open).
  void Load(int64_t idx, std::string_view id);

  // -1 when absent.
  int64_t Find(std::string_view id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? -1 : it->second;
  }
  // "" when idx is unknown.
  std::string_view Name(int64_t idx) const {
    return idx >= 0 && static_cast<size_t>(idx) < names_.size() ? std::string_view(names_[idx])
                                                                : std::string_view();
  }

  // Assigns the next idx to a new id (the caller checked it is absent).
  int64_t Add(std::string_view id);
  // Forgets `id` for lookups; its name stays resolvable.
  void Remove(std::string_view id);

  // The first idx that Add() will assign; ids added since a mark are [mark, NextIdx()).
  int64_t NextIdx() const { return next_idx_; }
  size_t size() const { return by_id_.size(); }

  // Takes the contents of `fresh` (reloaded from the database after another process wrote),
  // keeping the names of indexes that `fresh` no longer has.
  void ReplaceWith(IdIndex&& fresh);

  // A point inside the current transaction that RollbackTo() can return to (a savepoint).
  struct Mark {
    int64_t next_idx;
    size_t removed;
  };
  Mark MarkNow() const { return Mark{next_idx_, removed_.size()}; }
  // Undoes the adds and removes made since `mark`; the transaction stays open.
  void RollbackTo(const Mark& mark);

  // Ends the current transaction: Commit keeps its changes, Rollback undoes them.
  void Commit();
  void Rollback() { RollbackTo(Mark{txn_start_idx_, 0}); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> by_id_;
  std::vector<std::string> names_;  // indexed by idx; "" for never-used indexes
  int64_t next_idx_ = 1;
  int64_t txn_start_idx_ = 1;
  std::vector<std::pair<std::string, int64_t>> removed_;  // journal of this transaction
};

}  // namespace reco::sqlite
