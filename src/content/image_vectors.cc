#include "content/image_vectors.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "clip/clip_model.h"
#include "clip/embed_job.h"
#include "content/vectors.h"
#include "core/file_util.h"
#include "core/logging.h"

namespace reco::content {
namespace {

namespace fs = std::filesystem;

// What the job embedded for an item: the image file as it was then.
struct Fingerprint {
  std::string path;
  int64_t size = -1;
  int64_t mtime_ns = -1;
  bool operator==(const Fingerprint&) const = default;
};

std::optional<Fingerprint> FingerprintOf(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return Fingerprint{path.string(), static_cast<int64_t>(st.st_size),
                     static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// The state file: one line per item, "ITEM_ID \t PATH \t SIZE \t MTIME_NS". Item ids and paths
// with a tab or a newline are not recorded (they are embedded again at each run).
using State = std::map<std::string, Fingerprint, std::less<>>;

Result<State> ReadState(const fs::path& file) {
  State state;
  std::ifstream in(file);
  if (!in) return state;  // first run
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream parts(line);
    for (std::string f; std::getline(parts, f, '\t');) fields.push_back(f);
    Fingerprint fp;
    if (fields.size() != 4) {
      return DataLoss(file.string() + ":" + std::to_string(number) +
                      ": expected 4 tab-separated fields (remove the file to embed every image "
                      "again)");
    }
    fp.path = fields[1];
    try {
      fp.size = std::stoll(fields[2]);
      fp.mtime_ns = std::stoll(fields[3]);
    } catch (const std::exception&) {
      return DataLoss(file.string() + ":" + std::to_string(number) +
                      ": size and time must be integers (remove the file to embed every image "
                      "again)");
    }
    state[fields[0]] = std::move(fp);
  }
  return state;
}

Status WriteState(const fs::path& file, const State& state) {
  std::string out;
  for (const auto& [id, fp] : state) {
    if (id.find_first_of("\t\n") != std::string::npos ||
        fp.path.find_first_of("\t\n") != std::string::npos) {
      continue;
    }
    out += id + '\t' + fp.path + '\t' + std::to_string(fp.size) + '\t' +
           std::to_string(fp.mtime_ns) + '\n';
  }
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  return WriteFileAtomic(file, out);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<fs::path> ResolveImagePath(const fs::path& image_dir, std::string_view value) {
  if (value.empty()) return InvalidArgument("the image label is empty", "image");
  std::string_view path = value;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (value.substr(0, scheme.size()) == scheme) {
      std::string_view rest = value.substr(scheme.size());
      const size_t slash = rest.find('/');
      if (slash == std::string_view::npos) {
        return InvalidArgument("image URL " + std::string(value) + " has no path", "image");
      }
      path = rest.substr(slash + 1);
      path = path.substr(0, path.find_first_of("?#"));
      break;
    }
  }
  if (path.find("://") != std::string_view::npos) {
    return InvalidArgument("image " + std::string(value) +
                               ": only file paths and http(s) URLs (looked up under the image "
                               "folder) are understood",
                           "image");
  }
  const fs::path p(path);
  for (const fs::path& part : p) {
    if (part == "..") {
      return InvalidArgument("image path " + std::string(value) + " climbs out of the folder",
                             "image");
    }
  }
  if (p.is_absolute() && path == value) return p;
  return image_dir / p.relative_path();
}

Result<ImageVectorReport> EmbedCatalogueImages(Store& store, const ImageVectorOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.model_dir.empty()) {
    return FailedPrecondition(
        "item_images needs a CLIP model folder: set content.clip_model_path (CLIP_MODEL_PATH)");
  }
  const clip::ClipLoadOptions load{.vision = true, .text = false};
  std::error_code ec;
  if (!fs::is_directory(options.model_dir, ec) ||
      !clip::MissingModelFile(options.model_dir, load).empty()) {
    // Load() names the missing folder or file (with the hint on converting a checkpoint).
    return clip::ClipModel::Load(options.model_dir, load).status();
  }
  RECO_ASSIGN_OR_RETURN(State state, ReadState(options.state_file));

  // One scan: what to embed, what is unchanged, what lost its image.
  ImageVectorReport report;
  std::vector<clip::EmbedInput> inputs;
  std::vector<Fingerprint> input_prints;
  std::vector<std::string> orphaned;  // vectors the job wrote whose item names no image now
  std::set<std::string, std::less<>> present;  // items of the state still in the catalogue
  auto fail = [&report](std::string_view item, std::string_view reason) {
    ++report.failed;
    if (report.failures.size() < 20) {
      report.failures.push_back(std::string(item) + ": " + std::string(reason));
    }
    spdlog::warn("event=item_image_skipped item_id={} reason={}", EscapeLogText(item),
                 EscapeLogText(reason));
  };
  RECO_RETURN_IF_ERROR(store.ScanItems([&](const Item& item) {
    std::optional<std::string> image = StringLabel(item.labels_json, options.image_label);
    auto known = state.find(item.item_id);
    if (known != state.end()) present.insert(item.item_id);
    if (!image) {
      if (known != state.end()) orphaned.push_back(item.item_id);
      return;
    }
    ++report.items_with_image;
    Result<fs::path> path = ResolveImagePath(options.image_dir, *image);
    if (!path.ok()) return fail(item.item_id, path.status().message());
    std::optional<Fingerprint> print = FingerprintOf(*path);
    if (!print) return fail(item.item_id, "no file " + path->string());
    Result<std::optional<std::vector<float>>> vector =
        SuppliedVector(item.labels_json, options.clip_label, 0, options.clip_label);
    if (known != state.end() && known->second == *print && vector.ok() && vector->has_value()) {
      ++report.unchanged;
      return;
    }
    inputs.push_back({item.item_id, path->string()});
    input_prints.push_back(*print);
  }));
  // Items deleted from the catalogue leave the state.
  std::erase_if(state, [&](const auto& entry) { return !present.contains(entry.first); });

  // Rewrites one item's labels (read fresh: the catalogue may have changed since the scan).
  auto rewrite = [&](const std::string& item_id,
                     const std::function<Result<std::string>(const std::string&)>& change)
      -> Status {
    Result<Item> item = store.GetItem(item_id);
    if (!item.ok()) return item.status().code() == StatusCode::kNotFound ? Status::Ok()
                                                                          : item.status();
    RECO_ASSIGN_OR_RETURN(std::string labels, change(item->labels_json));
    if (labels == item->labels_json) return Status::Ok();
    ItemPatch patch;
    patch.labels_json = std::move(labels);
    RECO_RETURN_IF_ERROR(store.ModifyItem(item_id, patch).status());
    report.changed.push_back(item_id);
    return Status::Ok();
  };
  for (const std::string& id : orphaned) {
    RECO_RETURN_IF_ERROR(rewrite(id, [&](const std::string& labels) -> Result<std::string> {
      return WithoutLabel(labels, options.clip_label);
    }));
    state.erase(id);
    ++report.removed;
  }

  if (!inputs.empty()) {
    RECO_ASSIGN_OR_RETURN(std::unique_ptr<clip::ClipModel> model,
                          clip::ClipModel::Load(options.model_dir, load));
    RECO_RETURN_IF_ERROR(clip::EmbedInputs(
        *model, clip::EmbedKind::kImage, inputs, options.threads, options.batch_size,
        options.progress ? "item_images" : "",
        [&](size_t first, std::span<const clip::EmbedOutcome> outcomes) -> Status {
          for (size_t j = 0; j < outcomes.size(); ++j) {
            const clip::EmbedInput& input = inputs[first + j];
            if (outcomes[j].embedding.empty()) {
              fail(input.item_id, outcomes[j].error);
              continue;
            }
            RECO_RETURN_IF_ERROR(
                rewrite(input.item_id, [&](const std::string& labels) -> Result<std::string> {
                  return WithVectorLabel(labels, options.clip_label, outcomes[j].embedding,
                                         "Labels." + options.clip_label);
                }));
            state[input.item_id] = input_prints[first + j];
            ++report.embedded;
          }
          // Progress survives a cancelled or failed run: what is written is recorded.
          RECO_RETURN_IF_ERROR(WriteState(options.state_file, state));
          return options.checkpoint ? options.checkpoint("item_images") : Status::Ok();
        }));
  }
  RECO_RETURN_IF_ERROR(WriteState(options.state_file, state));
  report.seconds = SecondsSince(start);
  spdlog::info(
      "event=item_images_done items_with_image={} embedded={} unchanged={} removed={} failed={} "
      "seconds={:.2f}",
      report.items_with_image, report.embedded, report.unchanged, report.removed, report.failed,
      report.seconds);
  return report;
}

}  // namespace reco::content
