#include "clip/embed_job.h"

#include <fcntl.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>
#include <unordered_map>

#include "clip/clip_model.h"
#include "core/file_util.h"
#include "core/json_writer.h"
#include "core/logging.h"
#include "core/progress.h"
#include "core/threads.h"
#include "ingest/text_util.h"

namespace reco::clip {
namespace {

namespace fs = std::filesystem;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsImageFile(const fs::path& p) {
  const std::string ext = Lower(p.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Adds `item` unless its id was seen; `where` ("FILE:LINE") names the row in errors.
Status AddInput(EmbedInput item, const std::string& where,
                std::unordered_map<std::string, std::string>& seen,
                std::vector<EmbedInput>& out) {
  if (item.item_id.empty()) return InvalidArgument(where + ": item_id is empty", "item_id");
  auto [it, added] = seen.emplace(item.item_id, where);
  if (!added) {
    return InvalidArgument(where + ": item_id '" + item.item_id + "' appears twice (also at " +
                               it->second + ")",
                           "item_id");
  }
  out.push_back(std::move(item));
  return Status::Ok();
}

Result<std::vector<EmbedInput>> ReadFolder(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file(ec) && IsImageFile(entry.path())) files.push_back(entry.path());
  }
  if (ec) return Internal(dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<EmbedInput> out;
  std::unordered_map<std::string, std::string> seen;
  for (const fs::path& f : files) {
    RECO_RETURN_IF_ERROR(AddInput({f.stem().string(), f.string()}, f.string(), seen, out));
  }
  return out;
}

std::string ResolvePath(const fs::path& list_file, std::string_view path) {
  fs::path p(path);
  return p.is_absolute() ? p.string() : (list_file.parent_path() / p).string();
}

Result<std::vector<EmbedInput>> ReadCsv(const fs::path& file, EmbedKind kind) {
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  const std::string value_column = kind == EmbedKind::kImage ? "path" : "text";
  ingest::CsvReader reader(text, ',');
  std::vector<std::string_view> fields;
  const std::string name = file.string();
  if (!reader.Next(fields)) return InvalidArgument(name + " is empty", "input");
  if (fields.size() != 2 || ingest::Trim(fields[0]) != "item_id" ||
      ingest::Trim(fields[1]) != value_column) {
    return InvalidArgument(name + ":1: the header must be item_id," + value_column, "input");
  }
  std::vector<EmbedInput> out;
  std::unordered_map<std::string, std::string> seen;
  while (reader.Next(fields)) {
    const std::string where = name + ":" + std::to_string(reader.line_number());
    if (!reader.error().empty()) return InvalidArgument(where + ": " + reader.error(), "input");
    if (fields.size() != 2) {
      return InvalidArgument(where + ": " + std::to_string(fields.size()) +
                                 " fields; expected item_id," + value_column,
                             "input");
    }
    std::string value(fields[1]);
    if (kind == EmbedKind::kImage) {
      if (ingest::Trim(value).empty()) return InvalidArgument(where + ": path is empty", "path");
      value = ResolvePath(file, ingest::Trim(value));
    }
    RECO_RETURN_IF_ERROR(
        AddInput({std::string(ingest::Trim(fields[0])), std::move(value)}, where, seen, out));
  }
  if (!reader.error().empty()) {
    return InvalidArgument(name + ":" + std::to_string(reader.line_number()) + ": " +
                               reader.error(),
                           "input");
  }
  return out;
}

Result<std::vector<EmbedInput>> ReadJsonLines(const fs::path& file, EmbedKind kind) {
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  const char* value_key = kind == EmbedKind::kImage ? "path" : "text";
  ingest::LineReader lines(text);
  std::string_view line;
  simdjson::dom::parser parser;
  std::vector<EmbedInput> out;
  std::unordered_map<std::string, std::string> seen;
  while (lines.Next(line)) {
    if (ingest::Trim(line).empty()) continue;
    const std::string where = file.string() + ":" + std::to_string(lines.line_number());
    simdjson::dom::object obj;
    if (parser.parse(simdjson::padded_string(line)).get_object().get(obj)) {
      return InvalidArgument(where + ": not a JSON object", "input");
    }
    std::string_view id, value;
    if (obj["item_id"].get_string().get(id)) {
      return InvalidArgument(where + ": \"item_id\" must be a string", "item_id");
    }
    if (obj[value_key].get_string().get(value)) {
      return InvalidArgument(where + ": \"" + value_key + "\" must be a string", value_key);
    }
    std::string v(value);
    if (kind == EmbedKind::kImage) {
      if (v.empty()) return InvalidArgument(where + ": path is empty", "path");
      v = ResolvePath(file, v);
    }
    RECO_RETURN_IF_ERROR(AddInput({std::string(id), std::move(v)}, where, seen, out));
  }
  return out;
}

// Writes JSON lines to FILE.tmp-PID, then renames it over FILE (after fsync), or removes it.
class AtomicLineWriter {
 public:
  static Result<AtomicLineWriter> Open(const fs::path& path) {
    AtomicLineWriter w;
    w.path_ = path;
    w.tmp_ = path;
    w.tmp_ += ".tmp-" + std::to_string(::getpid());
    w.file_ = std::fopen(w.tmp_.c_str(), "wb");
    if (w.file_ == nullptr) {
      return Internal("cannot write " + w.tmp_.string() + ": " + std::strerror(errno));
    }
    return w;
  }
  AtomicLineWriter(AtomicLineWriter&& o) noexcept
      : path_(std::move(o.path_)), tmp_(std::move(o.tmp_)), file_(std::exchange(o.file_, nullptr)) {}
  AtomicLineWriter(const AtomicLineWriter&) = delete;
  ~AtomicLineWriter() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::error_code ec;
      fs::remove(tmp_, ec);
    }
  }
  Status Write(std::string_view line) {
    if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
      return Internal("cannot write " + tmp_.string() + ": " + std::strerror(errno));
    }
    return Status::Ok();
  }
  Status Commit() {
    std::FILE* f = std::exchange(file_, nullptr);
    const bool ok = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
    const int saved = errno;
    std::fclose(f);
    std::error_code ec;
    if (!ok) {
      fs::remove(tmp_, ec);
      return Internal("cannot write " + tmp_.string() + ": " + std::strerror(saved));
    }
    fs::rename(tmp_, path_, ec);
    if (ec) {
      fs::remove(tmp_, ec);
      return Internal("cannot rename " + tmp_.string() + " to " + path_.string() + ": " +
                      ec.message());
    }
    const fs::path dir = path_.has_parent_path() ? path_.parent_path() : fs::path(".");
    if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return Status::Ok();
  }

 private:
  AtomicLineWriter() = default;
  fs::path path_, tmp_;
  std::FILE* file_ = nullptr;
};

// Embeds items [begin, end) of `inputs` into `out` (indexed from `begin`) with up to `threads`
// threads, `batch` items per task.
void EmbedWindow(const ClipModel& model, EmbedKind kind, const std::vector<EmbedInput>& inputs,
                 size_t begin, size_t end, int threads, int batch, Progress& progress,
                 std::vector<EmbedOutcome>& out) {
  out.assign(end - begin, {});
  const size_t tasks = (end - begin + batch - 1) / batch;
  std::atomic<size_t> next{0};
  const int dim = model.embedding_dim();
  auto work = [&] {
    std::vector<float> pixels;
    std::vector<size_t> decoded;
    for (size_t task; (task = next.fetch_add(1)) < tasks;) {
      const size_t first = begin + task * batch;
      const size_t last = std::min(end, first + batch);
      if (kind == EmbedKind::kText) {
        for (size_t i = first; i < last; ++i) {
          auto e = model.EmbedText(inputs[i].value);
          if (e.ok()) {
            out[i - begin].embedding = std::move(*e);
          } else {
            out[i - begin].error = e.status().message();
          }
        }
        progress.Add(last - first);
        continue;
      }
      pixels.clear();
      decoded.clear();
      for (size_t i = first; i < last; ++i) {
        auto image = DecodeImageFile(inputs[i].value);
        if (!image.ok()) {
          out[i - begin].error = image.status().message();
          continue;
        }
        const std::vector<float> p = PreprocessImage(*image, model.config().preprocess);
        pixels.insert(pixels.end(), p.begin(), p.end());
        decoded.push_back(i);
      }
      if (!decoded.empty()) {
        auto e = model.EncodeImages(pixels, decoded.size());
        for (size_t k = 0; k < decoded.size(); ++k) {
          EmbedOutcome& o = out[decoded[k] - begin];
          if (e.ok()) {
            o.embedding.assign(e->begin() + k * dim, e->begin() + (k + 1) * dim);
          } else {
            o.error = e.status().message();
          }
        }
      }
      progress.Add(last - first);
    }
  };
  const int n = ThreadCount(threads, tasks);
  std::vector<std::jthread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
}

}  // namespace

Result<std::vector<EmbedInput>> ReadEmbedInputs(const fs::path& input, EmbedKind kind) {
  std::error_code ec;
  if (fs::is_directory(input, ec)) {
    if (kind == EmbedKind::kText) {
      return InvalidArgument(input.string() +
                                 " is a folder; texts come from a .csv or .jsonl file",
                             "input");
    }
    return ReadFolder(input);
  }
  if (!fs::is_regular_file(input, ec)) return NotFound(input.string() + " does not exist");
  const std::string ext = Lower(input.extension().string());
  if (ext == ".csv") return ReadCsv(input, kind);
  if (ext == ".jsonl" || ext == ".json") return ReadJsonLines(input, kind);
  return InvalidArgument(input.string() + ": expected a folder, a .csv or a .jsonl file",
                         "input");
}

Status EmbedInputs(const ClipModel& model, EmbedKind kind, const std::vector<EmbedInput>& inputs,
                   int threads, int batch_size, std::string_view progress_label,
                   const std::function<Status(size_t, std::span<const EmbedOutcome>)>& sink) {
  if (inputs.empty()) return Status::Ok();
  const int n = ThreadCount(threads, inputs.size());
  const int batch = kind == EmbedKind::kImage ? std::max(batch_size, 1) : 1;
  // Windows bound the memory held for ordering the output (the input order is kept).
  const size_t window = static_cast<size_t>(n) * batch * 16;
  Progress progress(std::string(progress_label), inputs.size(),
                    kind == EmbedKind::kImage ? "images" : "texts", !progress_label.empty());
  std::vector<EmbedOutcome> outcomes;
  for (size_t begin = 0; begin < inputs.size(); begin += window) {
    const size_t end = std::min(inputs.size(), begin + window);
    EmbedWindow(model, kind, inputs, begin, end, n, batch, progress, outcomes);
    RECO_RETURN_IF_ERROR(sink(begin, outcomes));
  }
  progress.Finish();
  return Status::Ok();
}

Result<EmbedJobReport> RunEmbedJob(const EmbedJobOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const ClipLoadOptions load{.vision = options.kind == EmbedKind::kImage,
                             .text = options.kind == EmbedKind::kText};
  // The model folder is checked first: it is what an operator most often has to fix.
  std::error_code ec;
  if (!fs::is_directory(options.model_dir, ec)) {
    return NotFound("CLIP model folder " + options.model_dir.string() +
                    " does not exist (CLIP_MODEL_PATH)");
  }
  if (std::string missing = MissingModelFile(options.model_dir, load); !missing.empty()) {
    // Load() gives the full message (with the hints on converting a checkpoint).
    return ClipModel::Load(options.model_dir, load).status();
  }
  RECO_ASSIGN_OR_RETURN(std::vector<EmbedInput> inputs, ReadEmbedInputs(options.input,
                                                                        options.kind));
  const char* unit = options.kind == EmbedKind::kImage ? "images" : "texts";
  if (inputs.empty()) {
    return InvalidArgument("no " + std::string(unit) + " in " + options.input.string() +
                               (options.kind == EmbedKind::kImage && fs::is_directory(options.input, ec)
                                    ? " (.jpg, .jpeg, .png)"
                                    : ""),
                           "input");
  }
  RECO_ASSIGN_OR_RETURN(std::unique_ptr<ClipModel> model,
                        ClipModel::Load(options.model_dir, load));
  RECO_ASSIGN_OR_RETURN(AtomicLineWriter writer, AtomicLineWriter::Open(options.output));

  EmbedJobReport report;
  report.dimension = model->embedding_dim();
  const char* progress_name = options.kind == EmbedKind::kImage ? "embed-images" : "embed-text";
  std::string line;
  RECO_RETURN_IF_ERROR(EmbedInputs(
      *model, options.kind, inputs, options.threads, options.batch_size,
      options.progress ? progress_name : "",
      [&](size_t first, std::span<const EmbedOutcome> outcomes) -> Status {
        for (size_t j = 0; j < outcomes.size(); ++j) {
          const EmbedInput& input = inputs[first + j];
          const EmbedOutcome& o = outcomes[j];
          if (o.embedding.empty()) {
            spdlog::warn("event=clip_embed_skipped item_id={} error={}",
                         EscapeLogText(input.item_id), EscapeLogText(o.error));
            report.failed.push_back(input.item_id + ": " + o.error);
            continue;
          }
          JsonWriter w(std::move(line));
          w.BeginObject().Key("item_id").String(input.item_id).Key("embedding").BeginArray();
          for (float v : o.embedding) w.Float(v);
          w.EndArray().EndObject();
          line = w.Take();
          line += '\n';
          RECO_RETURN_IF_ERROR(writer.Write(line));
          ++report.embedded;
        }
        return Status::Ok();
      }));
  if (report.embedded == 0) {
    return FailedPrecondition("none of the " + std::to_string(inputs.size()) + " " + unit +
                              " could be embedded; the first: " + report.failed.front());
  }
  RECO_RETURN_IF_ERROR(writer.Commit());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("event=clip_embed_done kind={} embedded={} skipped={} dim={} output={} seconds={:.2f}",
               unit, report.embedded, report.failed.size(), report.dimension,
               EscapeLogText(options.output.string()), report.seconds);
  return report;
}

}  // namespace reco::clip
