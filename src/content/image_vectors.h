// The item_images job: CLIP image vectors of the catalogue's items, from local files only.
//
// Each item may name its image in a label (content.image_label, "image" by default): a path
// relative to the image folder (content.image_dir, DATA_DIR/images by default) or absolute, or an
// http(s) URL whose path part is looked up under the image folder (a mirror of the CDN; nothing
// is ever downloaded). The job embeds the images that are new or changed since its last run with
// the CLIP model of content.clip_model_path and writes each vector into the item's label
// content.clip_label ("clip_embedding"), where the server reads the "clip" vectors
// (serving/content_index.h).
//
// What "changed" means: the job keeps, per item, the resolved path, size and modification time
// of the image it embedded (a state file, DATA_DIR/content/item_images.tsv by default, replaced
// atomically at the end of a run). An item whose image reference and file are unchanged and whose
// vector label is still there is skipped. An item whose image label was removed loses the vector
// the job wrote for it (a vector the job did not write is never touched). An image that cannot be
// read or decoded is skipped with a warning, counted, and tried again at the next run.
//
// The model folder is checked before anything is read: with no content.clip_model_path the run
// fails with FailedPrecondition naming the key; with a missing or incomplete folder, with the
// error naming the missing file. No item is written in either case.
//
// Thread-safety: one run at a time per state file (the scheduler runs a job once at a time).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/store.h"

namespace reco::content {

struct ImageVectorOptions {
  std::filesystem::path model_dir;  // content.clip_model_path
  std::filesystem::path image_dir;  // relative image paths and URL paths are looked up here
  std::string image_label = "image";
  std::string clip_label = "clip_embedding";
  std::filesystem::path state_file;  // see above; required
  int threads = 0;                   // 0 = one per core
  int batch_size = 8;
  bool progress = false;  // a progress line on stderr
  // Called between windows of images; an error stops the run (e.g. the job was cancelled).
  std::function<Status(std::string_view step)> checkpoint;
};

struct ImageVectorReport {
  size_t items_with_image = 0;
  size_t embedded = 0;   // vectors written
  size_t unchanged = 0;  // skipped: same image as last time, vector still there
  size_t removed = 0;    // vectors removed because the item no longer names an image
  size_t failed = 0;     // images that could not be found, read or decoded
  std::vector<std::string> failures;  // "ITEM_ID: reason", the first 20
  std::vector<std::string> changed;   // ids of the items whose labels were rewritten
  double seconds = 0;
};

// `value` of an item's image label as a file: `image_dir / value` for a relative path, the path
// itself when absolute, `image_dir / <URL path>` for an http(s) URL. InvalidArgument for a value
// that is empty, another URL scheme, or climbs out of image_dir with "..".
Result<std::filesystem::path> ResolveImagePath(const std::filesystem::path& image_dir,
                                               std::string_view value);

Result<ImageVectorReport> EmbedCatalogueImages(Store& store, const ImageVectorOptions& options);

}  // namespace reco::content
