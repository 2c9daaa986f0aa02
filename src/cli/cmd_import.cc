// `reco import --data-dir DIR [--format auto|json|csv|movielens|lightgcn] [--strict] PATH...`:
// reads the files and writes their rows as they come, in one all-or-nothing transaction
// (Store::ImportStream), reports bad lines as `file:line: reason` and prints a summary.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/config_loader.h"
#include "core/progress.h"
#include "core/time.h"
#include "ingest/importer.h"
#include "store/open_store.h"

namespace reco::cli {
namespace {

constexpr size_t kMaxPrintedIssues = 50;

struct ImportFlags {
  std::string data_dir;
  std::string config;
  std::string format = "auto";
  bool strict = false;
  double positive_threshold = 4.0;
  std::string csv_kind = "feedback";
  std::string csv_columns;
  std::string csv_separator = ",";
  bool csv_header = false;
  std::string feedback_type;
  std::vector<std::string> paths;
};

[[noreturn]] void Fail(const std::string& message) { throw CommandFailed{1, message}; }

char SeparatorFromFlag(const std::string& flag) {
  if (flag == "\\t" || flag == "tab" || flag == "\t") return '\t';
  if (flag.size() != 1) Fail("import: --csv-separator must be one character (or \"tab\")");
  return flag[0];
}

ingest::ImportOptions BuildOptions(const ImportFlags& flags) {
  ingest::ImportOptions options;
  Result<ingest::ImportFormat> format = ingest::ParseImportFormat(flags.format);
  if (!format.ok()) Fail("import: " + format.status().message());
  options.format = *format;
  options.strict = flags.strict;
  options.positive_threshold = flags.positive_threshold;
  options.csv.kind = flags.csv_kind;
  options.csv.columns = flags.csv_columns;
  options.csv.separator = SeparatorFromFlag(flags.csv_separator);
  options.csv.header = flags.csv_header;
  options.csv.feedback_type = flags.feedback_type;
  for (const auto& p : flags.paths) options.paths.emplace_back(p);
  options.clock = &SystemClock::Get();
  return options;
}

void PrintIssues(const std::vector<ingest::ImportIssue>& issues) {
  for (size_t i = 0; i < issues.size() && i < kMaxPrintedIssues; ++i) {
    std::fprintf(stderr, "%s\n", issues[i].ToString().c_str());
  }
  if (issues.size() > kMaxPrintedIssues) {
    std::fprintf(stderr, "... and %zu more bad lines\n", issues.size() - kMaxPrintedIssues);
  }
}

void PrintSummary(const ingest::ImportStats& stats) {
  double secs = stats.read_seconds + stats.write_seconds;
  double rate = secs > 0 ? static_cast<double>(stats.rows()) / secs : 0.0;
  std::printf("imported %lld users, %lld items, %lld feedback; %lld bad lines skipped\n",
              static_cast<long long>(stats.users), static_cast<long long>(stats.items),
              static_cast<long long>(stats.feedback), static_cast<long long>(stats.skipped_lines));
  std::printf("%.0f rows/s, %.2f s (read %.2f s, write %.2f s)\n", rate, secs, stats.read_seconds,
              stats.write_seconds);
}

void RunImport(const ImportFlags& flags) {
  ingest::ImportOptions options = BuildOptions(flags);
  for (const auto& path : options.paths) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      Fail("import: " + path.string() + ": no such file or directory");
    }
  }
  RecoConfig config = LoadCommandConfig(flags.config, flags.data_dir);
  options.max_future_skew_seconds = config.database.max_future_skew_seconds;
  Result<std::unique_ptr<Store>> store = OpenStore(config, flags.data_dir);
  if (!store.ok()) {
    Fail("import: cannot open the store in " + flags.data_dir + ": " + store.status().ToString());
  }
  // Rows are written as they are read, in one transaction (nothing is visible before the end).
  Progress progress("import: read and write", 0, "rows");
  options.progress = &progress;
  ingest::ImportResult result;
  Status imported = ingest::ImportPaths(**store, options, result);
  progress.Finish();
  (*store)->Close();
  PrintIssues(result.issues);
  if (flags.strict && !result.issues.empty()) {
    Fail("import: " + std::to_string(result.issues.size()) +
         " bad lines; nothing imported (--strict)");
  }
  if (!imported.ok()) Fail("import: " + imported.ToString());
  PrintSummary(result.stats);
}

}  // namespace

void RegisterImportCommand(CLI::App& app) {
  auto flags = std::make_shared<ImportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Import users, items and feedback (Gorse JSON, CSV, MovieLens, LightGCN)");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (store)")->required();
  cmd->add_option("--config", flags->config,
                  "Configuration file (default: DATA_DIR/reco.toml when present)");
  cmd->add_option("--format", flags->format, "auto, json, csv, movielens or lightgcn")
      ->capture_default_str();
  cmd->add_flag("--strict", flags->strict, "Any bad line aborts the import (nothing is written)");
  cmd->add_option("--positive-threshold", flags->positive_threshold,
                  "MovieLens: rating >= this is \"like\", below is \"read\"")
      ->capture_default_str();
  cmd->add_option("--csv-kind", flags->csv_kind, "CSV rows are feedback, users or items")
      ->capture_default_str();
  cmd->add_option("--csv-columns", flags->csv_columns,
                  "field=column,... e.g. user=0,item=1,type=2,timestamp=3 (index or header "
                  "name; fields: user item type value timestamp comment labels categories "
                  "hidden)");
  cmd->add_option("--csv-separator", flags->csv_separator, "One character, or \"tab\"")
      ->capture_default_str();
  cmd->add_flag("--csv-header", flags->csv_header, "The first CSV line names the columns");
  cmd->add_option("--feedback-type", flags->feedback_type,
                  "CSV: feedback type of every row when no type column is mapped");
  cmd->add_option("paths", flags->paths, "Files or directories to import")->required();
  auto tenant = std::make_shared<std::string>();
  cmd->add_option("--tenant", *tenant, "Import into tenant NAME (DATA_DIR/tenants/NAME)");
  cmd->callback([flags, tenant] {
    flags->data_dir = TenantDataDir("import", flags->data_dir, *tenant);
    RunImport(*flags);
  });
}

}  // namespace reco::cli
