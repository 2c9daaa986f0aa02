// `reco embed-images` and `reco embed-text`: CLIP embeddings of items from a local model folder
// (--model, else CLIP_MODEL_PATH / content.clip_model_path), written as JSON lines
// {"item_id", "embedding"}; docs/clip.md. Nothing is downloaded.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/config_loader.h"
#include "clip/clip_model.h"
#include "clip/embed_job.h"
#include "core/json_writer.h"

namespace reco::cli {
namespace {

struct EmbedFlags {
  std::string model;
  std::string config;
  std::string input;
  std::string output;
  std::string text;
  int threads = 0;
  int batch = 8;
  bool quiet = false;
};

// --model, else the configured content.clip_model_path (CLIP_MODEL_PATH).
std::string ModelDir(const std::string& command, const EmbedFlags& flags) {
  if (!flags.model.empty()) return flags.model;
  const RecoConfig config = LoadCommandConfig(flags.config, "");
  if (config.content.clip_model_path.empty()) {
    throw CommandFailed{2, command + ": no CLIP model folder: pass --model DIR or set "
                                     "CLIP_MODEL_PATH (docs/clip.md)"};
  }
  return config.content.clip_model_path;
}

void RunJob(const std::string& command, const EmbedFlags& flags, clip::EmbedKind kind) {
  if (flags.threads < 0) throw CommandFailed{2, command + ": --threads must be >= 0"};
  if (flags.batch < 1) throw CommandFailed{2, command + ": --batch must be >= 1"};
  clip::EmbedJobOptions options{.model_dir = ModelDir(command, flags),
                                .input = flags.input,
                                .output = flags.output,
                                .kind = kind,
                                .threads = flags.threads,
                                .batch_size = flags.batch,
                                .progress = !flags.quiet};
  auto report = clip::RunEmbedJob(options);
  if (!report.ok()) throw CommandFailed{1, command + ": " + report.status().message()};
  std::printf("%s: %zu %s embedded (dimension %d) into %s in %.1f s", command.c_str(),
              report->embedded, kind == clip::EmbedKind::kImage ? "images" : "texts",
              report->dimension, flags.output.c_str(), report->seconds);
  if (!report->failed.empty()) {
    std::printf("; %zu skipped (see the warnings), the first: %s", report->failed.size(),
                report->failed.front().c_str());
  }
  std::printf("\n");
}

// --text: one embedding printed as a JSON line.
void EmbedOneText(const EmbedFlags& flags) {
  const std::string command = "reco embed-text";
  auto model = clip::ClipModel::Load(ModelDir(command, flags), {.vision = false, .text = true});
  if (!model.ok()) throw CommandFailed{1, command + ": " + model.status().message()};
  auto embedding = (*model)->EmbedText(flags.text);
  if (!embedding.ok()) throw CommandFailed{1, command + ": " + embedding.status().message()};
  JsonWriter w;
  w.BeginObject().Key("text").String(flags.text).Key("embedding").BeginArray();
  for (float v : *embedding) w.Float(v);
  w.EndArray().EndObject();
  std::printf("%s\n", w.str().c_str());
}

void AddCommonOptions(CLI::App* cmd, EmbedFlags& flags) {
  cmd->add_option("--model", flags.model,
                  "CLIP model folder (config.json, model.safetensors, ...); default: "
                  "CLIP_MODEL_PATH or content.clip_model_path");
  cmd->add_option("--config", flags.config, "TOML config file to read content.clip_model_path from");
  cmd->add_option("--threads", flags.threads, "Worker threads (0 = one per core)");
  cmd->add_flag("--quiet", flags.quiet, "No progress line on stderr");
}

}  // namespace

void RegisterEmbedCommands(CLI::App& app) {
  auto images = std::make_shared<EmbedFlags>();
  CLI::App* cmd = app.add_subcommand(
      "embed-images",
      "CLIP image embeddings of items from a local model folder (no network): --input is a "
      "folder of .jpg/.png files (item id = file name), a CSV item_id,path or JSON lines "
      "{\"item_id\",\"path\"}; --output gets one JSON line {\"item_id\",\"embedding\"} per "
      "image. Unreadable images are skipped with a warning.");
  AddCommonOptions(cmd, *images);
  cmd->add_option("--input", images->input, "Folder of images, FILE.csv or FILE.jsonl")->required();
  cmd->add_option("--output", images->output, "JSON lines file to write (replaced atomically)")
      ->required();
  cmd->add_option("--batch", images->batch, "Images encoded together by one thread (default 8)");
  cmd->callback([images] { RunJob("reco embed-images", *images, clip::EmbedKind::kImage); });

  auto texts = std::make_shared<EmbedFlags>();
  cmd = app.add_subcommand(
      "embed-text",
      "CLIP text embeddings from a local model folder (no network): --input FILE.csv "
      "(item_id,text) or FILE.jsonl ({\"item_id\",\"text\"}) with --output, or one --text "
      "printed as {\"text\",\"embedding\"}.");
  AddCommonOptions(cmd, *texts);
  auto* input = cmd->add_option("--input", texts->input, "FILE.csv or FILE.jsonl of texts");
  auto* output = cmd->add_option("--output", texts->output, "JSON lines file to write");
  auto* text = cmd->add_option("--text", texts->text, "One text to embed, printed on stdout");
  input->needs(output);
  output->needs(input);
  text->excludes(input);
  cmd->callback([texts, text] {
    if (text->count() > 0) return EmbedOneText(*texts);
    if (texts->input.empty()) {
      throw CommandFailed{2, "reco embed-text: pass --input FILE --output FILE, or --text TEXT"};
    }
    RunJob("reco embed-text", *texts, clip::EmbedKind::kText);
  });
}

}  // namespace reco::cli
