// Demo data: a synthetic but realistic dataset in Gorse's JSON shape (`reco demo-data`).
// ~10 named categories, Zipf-like item popularity, users with 1–3 taste clusters who mostly
// interact within them, feedback types read/like/star/purchase/dislike, ~3% hidden items.
// The feedback window ends at options.end, or at the injected clock's now (whole seconds) when
// no end is given, so that freshly generated data looks fresh. Fully deterministic: the same
// options with the same end give byte-identical files.
//
// Thread-safety: calls are independent. The sink is called from the calling thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/types.h"

namespace reco::ingest {

struct DemoDataOptions {
  int64_t users = 1000;
  int64_t items = 2000;
  uint64_t seed = 42;
  int days = 28;  // feedback spans this many days ending at `end`
  // End of the feedback window (`--end`); unset = the clock's now. 1970-01-01 .. 9999-12-31.
  std::optional<TimestampUs> end;
};

struct DemoDataStats {
  int64_t users = 0;
  int64_t items = 0;
  int64_t feedback = 0;
  TimestampUs reference_time = 0;  // end of the feedback window
};

// Receives the generated rows in order: all items, then each user followed by its feedback.
class DemoDataSink {
 public:
  virtual ~DemoDataSink() = default;
  virtual Status OnItem(const Item& item) = 0;
  // `clusters` are the user's taste categories (the generator's ground truth).
  virtual Status OnUser(const User& user, const std::vector<std::string>& clusters) = 0;
  virtual Status OnFeedback(const Feedback& feedback) = 0;
};

// The category names used by the generator.
const std::vector<std::string>& DemoCategories();

// `clock` is read only when options.end is unset.
Result<DemoDataStats> GenerateDemoData(const DemoDataOptions& options, const Clock& clock,
                                       DemoDataSink& sink);

// Writes users.jsonl, items.jsonl, feedback.jsonl and the marker reco-demo.json into `out_dir`
// (created if needed); each file appears atomically (temporary name, fsync, rename).
Result<DemoDataStats> WriteDemoData(const std::filesystem::path& out_dir,
                                    const DemoDataOptions& options, const Clock& clock);

}  // namespace reco::ingest
