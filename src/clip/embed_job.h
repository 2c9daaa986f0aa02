// The embedding job of `reco embed-images` and `reco embed-text`: a list of items (a folder of
// images, or a CSV / JSON lines file of item ids with image paths or texts) in, one JSON line
// per item out: {"item_id": "...", "embedding": [floats]} (L2-normalised, projection_dim long;
// "embedding" as in Gorse's item labels). docs/clip.md describes the formats.
//
// The model is checked and loaded before any item is read from disk; an item that cannot be
// read (a damaged or missing image) is skipped with a warning and listed in the report; the
// output file is replaced atomically when the job succeeds, never left half-written.
//
// Thread-safety: RunEmbedJob may run concurrently for different outputs; it starts its own
// worker threads.
#pragma once

#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace reco::clip {

enum class EmbedKind { kImage, kText };

struct EmbedInput {
  std::string item_id;
  std::string value;  // an image path (absolute, or as given) or a text
};

// Reads the items of `input`:
//  - a folder: its *.jpg, *.jpeg, *.png files (any case, not recursive), sorted; the item id is
//    the file name without its extension (images only);
//  - FILE.csv: a header `item_id,path` (images) or `item_id,text` (texts), then one row per item;
//  - FILE.jsonl / FILE.json: one object per line, {"item_id": "...", "path": "..."} or
//    {"item_id": "...", "text": "..."}.
// Relative image paths are taken from the list file's folder. InvalidArgument naming the file
// and line of a bad row or a repeated item id; NotFound when `input` does not exist.
Result<std::vector<EmbedInput>> ReadEmbedInputs(const std::filesystem::path& input,
                                                EmbedKind kind);

struct EmbedJobOptions {
  std::filesystem::path model_dir;  // CLIP_MODEL_PATH
  std::filesystem::path input;      // see ReadEmbedInputs
  std::filesystem::path output;     // JSON lines, replaced atomically
  EmbedKind kind = EmbedKind::kImage;
  int threads = 0;      // 0 = one per core
  int batch_size = 8;   // images encoded together by one thread (shares the matrix products)
  bool progress = true;  // a progress line on stderr
};

struct EmbedJobReport {
  size_t embedded = 0;
  int dimension = 0;
  // "ITEM_ID: reason" of each skipped item.
  std::vector<std::string> failed;
  double seconds = 0;
};

class ClipModel;

// One input's outcome.
struct EmbedOutcome {
  std::vector<float> embedding;  // L2-normalised; empty when it failed
  std::string error;
};

// Embeds `inputs` (image paths or texts, as `kind`) with `threads` threads (0 = one per core),
// `batch_size` images encoded together. `sink` receives the outcomes window by window in input
// order — (index of the window's first input, its outcomes) — so memory stays bounded; an error
// from `sink` stops the work and is returned. A progress line on stderr unless `progress_label`
// is "".
Status EmbedInputs(const ClipModel& model, EmbedKind kind, const std::vector<EmbedInput>& inputs,
                   int threads, int batch_size, std::string_view progress_label,
                   const std::function<Status(size_t, std::span<const EmbedOutcome>)>& sink);

// Runs the job. Fails (nothing written) when the model folder is missing or incomplete (the
// message names the missing file), the input list is malformed or empty, or no item at all
// could be embedded.
Result<EmbedJobReport> RunEmbedJob(const EmbedJobOptions& options);

}  // namespace reco::clip
