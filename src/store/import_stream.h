// StreamingImport: a bulk import written chunk by chunk inside one transaction, for stores that
// can (SQLite, PostgreSQL). `reco import` uses it when the store implements it (dynamic_cast),
// and otherwise collects every chunk and makes one Store::Import call.
//
// Thread-safety: as the store's other writes. Lifetime: `next` is called on the calling thread
// only, during the call.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace reco {

struct ImportChunk {
  std::vector<User> users;
  std::vector<Item> items;
  std::vector<Feedback> feedback;
  void clear() {
    users.clear();
    items.clear();
    feedback.clear();
  }
};

// Refills `chunk` (cleared before each call) with the next rows; false once there are none left.
using ImportChunkFn = std::function<Result<bool>(ImportChunk& chunk)>;

// The loop of every ImportStream: takes each chunk from `next`, checks its ids (id_check.h) and
// hands it to `write`, which returns the feedback rows it wrote; returns their sum. Stops at the
// first error, which the caller's transaction then undoes.
Result<int64_t> WriteImportChunks(const ImportChunkFn& next,
                                  const std::function<Result<int64_t>(const ImportChunk&)>& write);

class StreamingImport {
 public:
  virtual ~StreamingImport() = default;
  // Users, items and feedback of every chunk in one transaction: memory stays bounded by the
  // chunk size while the import stays all or nothing (an error from `next` or from a write
  // undoes every chunk). Only for options.overwrite = false: a key repeated in a later chunk is
  // ignored, as within one chunk.
  virtual Status ImportStream(const ImportChunkFn& next, const InsertFeedbackOptions& options) = 0;
};

}  // namespace reco
