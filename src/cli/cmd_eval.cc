// `reco eval`: offline evaluation by full ranking. Either a fixed split from files
//   reco eval --train train.txt --test test.txt --algo itemcf --k 20 --json out.json
// or a protocol applied to one dataset
//   reco eval --data ratings.csv --protocol random|temporal|strong [--test-fraction 0.2] ...
// Prints a metric table (rows) by cut-off (columns) and optionally writes a JSON report.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "algo/content_eval.h"
#include "algo/scorer.h"
#include "algo/tuned_config.h"
#include "cli/commands.h"
#include "core/file_util.h"
#include "data/loader.h"
#include "eval/evaluator.h"
#include "eval/protocol.h"
#include "eval/report.h"

namespace reco::cli {
namespace {

struct EvalFlags {
  std::string train;
  std::string test;
  std::string data;
  std::string format = "auto";
  std::string protocol;
  double test_fraction = 0.2;
  double fold_in_fraction = 0.8;
  uint64_t seed = 1;
  int leave_last = 0;
  std::string time_cut;
  std::string algo;
  std::vector<std::string> settings;
  std::vector<size_t> ks = {20};
  std::string json;
  std::string config;
  int threads = 0;
};

[[noreturn]] void Fail(const std::string& message) { throw CommandFailed{1, "eval: " + message}; }

template <typename T>
T OrFail(Result<T> result) {
  if (!result.ok()) Fail(result.status().ToString());
  return std::move(result).value();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "0.8" (a quantile in (0, 1)), "1546300800" (Unix seconds) or an RFC 3339 date/time.
void ParseTimeCut(const std::string& text, eval::ProtocolOptions& options) {
  double number = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec == std::errc() && ptr == end) {
    if (number > 0 && number < 1) {
      options.time_cut_quantile = number;
    } else {
      Result<TimestampUs> ts = TimestampFromSeconds(std::trunc(number));
      if (!ts.ok()) Fail("--time-cut " + text + " " + ts.status().message());
      options.time_cut = *ts;
    }
    return;
  }
  Result<TimestampUs> ts = ParseTimestamp(text);
  if (!ts.ok()) {
    Fail("--time-cut \"" + text + "\" is neither a quantile in (0, 1), Unix seconds nor a date");
  }
  options.time_cut = *ts;
}

eval::ProtocolOptions ProtocolFromFlags(const EvalFlags& flags) {
  const bool fixed = !flags.train.empty() || !flags.test.empty();
  if (fixed == !flags.data.empty()) {
    Fail("give either --train and --test (a fixed split) or --data with --protocol");
  }
  if (fixed && (flags.train.empty() || flags.test.empty())) {
    Fail("a fixed split needs both --train and --test");
  }
  eval::ProtocolOptions options;
  options.kind = fixed ? eval::ProtocolKind::kFixed : eval::ProtocolKind::kRandom;
  if (!flags.protocol.empty()) options.kind = OrFail(eval::ParseProtocol(flags.protocol));
  if (fixed != (options.kind == eval::ProtocolKind::kFixed)) {
    Fail(fixed ? "--train/--test is a fixed split; drop --protocol " + flags.protocol
               : "--protocol fixed reads --train and --test, not --data");
  }
  options.test_fraction = flags.test_fraction;
  options.fold_in_fraction = flags.fold_in_fraction;
  options.seed = flags.seed;
  options.leave_last = flags.leave_last;
  if (!flags.time_cut.empty()) ParseTimeCut(flags.time_cut, options);
  return options;
}

eval::EvalSplit LoadSplit(const EvalFlags& flags, const eval::ProtocolOptions& protocol) {
  ingest::ImportFormat format = OrFail(ingest::ParseImportFormat(flags.format));
  if (protocol.kind == eval::ProtocolKind::kFixed) {
    return OrFail(eval::LoadFixedSplit(flags.train, flags.test, format));
  }
  int64_t bad_lines = 0;
  std::vector<std::string> issues;
  Dataset all = OrFail(LoadDataset(flags.data, format, &bad_lines, &issues));
  eval::EvalSplit split = OrFail(eval::MakeSplit(all, protocol));
  split.stats.bad_lines = bad_lines;
  split.issues = std::move(issues);
  return split;
}

void PrintSplit(const eval::EvalSplit& split, double seconds) {
  const eval::SplitStats& s = split.stats;
  std::printf(
      "split: %zu users, %zu items; %lld train / %lld test positives, %zu test users "
      "(%.2f s)\n",
      split.train.num_users(), split.train.num_items(), static_cast<long long>(s.train_positives),
      static_cast<long long>(s.test_positives), split.users.size(), seconds);
  if (s.dropped_test_users > 0 || s.overlap_test_items > 0 || s.test_only_items > 0) {
    std::printf(
        "  dropped: %lld test items of %lld users absent from train; %lld test pairs "
        "already in train; %lld items only in test\n",
        static_cast<long long>(s.dropped_test_items), static_cast<long long>(s.dropped_test_users),
        static_cast<long long>(s.overlap_test_items), static_cast<long long>(s.test_only_items));
  }
  if (s.bad_lines > 0) {
    std::fprintf(stderr, "warning: %lld input line(s) skipped, first:\n",
                 static_cast<long long>(s.bad_lines));
    for (const std::string& issue : split.issues) std::fprintf(stderr, "  %s\n", issue.c_str());
  }
}

std::string DatasetLabel(const EvalFlags& flags) {
  if (!flags.data.empty()) return flags.data;
  return flags.train + " + " + flags.test;
}

// The algorithm and settings to evaluate: --config (a file from `reco tune`) or --algo/--set.
std::pair<std::string, std::vector<eval::Setting>> ModelFromFlags(const EvalFlags& flags) {
  if (flags.config.empty() == flags.algo.empty()) {
    Fail("give either --algo (with --set key=value) or --config FILE from `reco tune`");
  }
  if (!flags.config.empty() && !flags.settings.empty()) {
    Fail("--set cannot be combined with --config (edit the config file instead)");
  }
  std::string algo = flags.algo;
  std::vector<eval::Setting> settings;
  if (!flags.config.empty()) {
    algo::TunedConfig config = OrFail(algo::LoadTunedConfig(flags.config));
    algo = config.algo;
    settings = std::move(config.settings);
  }
  for (const std::string& text : flags.settings)
    settings.push_back(OrFail(algo::ParseSetting(text)));
  // --threads also bounds model fitting, for every algorithm that trains in parallel.
  if (flags.threads > 0) {
    settings.emplace_back(algo + ".threads", std::to_string(flags.threads));
    if (!algo::CheckScorerSettings(algo, settings).ok()) settings.pop_back();
  }
  if (Status st = algo::CheckScorerSettings(algo, settings); !st.ok()) Fail(st.ToString());
  return {algo, settings};
}

void PrintContentRows(const std::vector<algo::ContentEvalRow>& rows, size_t k) {
  std::printf("| method | Recall@%zu | NDCG@%zu | HitRate@%zu |\n|---|---|---|---|\n", k, k, k);
  for (const algo::ContentEvalRow& row : rows) {
    std::printf("| %s | %.4f | %.4f | %.4f |\n", row.method.c_str(), row.recall, row.ndcg,
                row.hit_rate);
  }
}

// --protocol cold-items: user-to-item vector recall on withheld items (algo/content_eval.h);
// with --algo or --config also the warm-start effect of its share of the plain route.
void RunColdItems(const EvalFlags& flags) {
  if (flags.data.empty()) Fail("--protocol cold-items reads --data (e.g. ml-latest-small)");
  algo::ContentEvalOptions options;
  options.item_fraction = flags.test_fraction;
  options.test_fraction = flags.test_fraction;
  options.seed = flags.seed;
  options.k = flags.ks.empty() ? 20 : flags.ks.front();
  if (options.k == 0) Fail("--k: cut-offs must be > 0");
  options.text.num_threads = flags.threads;
  const ingest::ImportFormat format = OrFail(ingest::ParseImportFormat(flags.format));
  Dataset all = OrFail(LoadDataset(flags.data, format));
  std::vector<content::TextDocument> texts = OrFail(algo::ItemTexts(flags.data, format));
  auto start = std::chrono::steady_clock::now();
  algo::ColdItemsReport cold = OrFail(algo::EvaluateColdItems(all, texts, options));
  std::printf(
      "cold items: %zu of %zu items withheld (%zu with text), %zu users, %zu positives on "
      "them (%.1f s)\n",
      cold.withheld_items, cold.items, cold.withheld_with_text, cold.users, cold.test_positives,
      SecondsSince(start));
  PrintContentRows(cold.rows, options.k);
  if (flags.algo.empty() && flags.config.empty()) return;
  const std::pair<std::string, std::vector<eval::Setting>> model = ModelFromFlags(flags);
  start = std::chrono::steady_clock::now();
  algo::ScorerFit fit = [&model](const Dataset& train) -> Result<std::unique_ptr<eval::Scorer>> {
    RECO_ASSIGN_OR_RETURN(algo::FittedScorer fitted,
                          algo::FitScorer(model.first, train, model.second));
    return std::move(fitted.scorer);
  };
  algo::WarmStartReport warm = OrFail(algo::EvaluateWarmStart(all, texts, fit, options));
  std::printf("warm start: %s on the random split, %zu test users (%.1f s)\n",
              model.first.c_str(), warm.users, SecondsSince(start));
  PrintContentRows(warm.rows, options.k);
}

void RunEval(const EvalFlags& flags) {
  if (flags.protocol == "cold-items") {
    RunColdItems(flags);
    return;
  }
  const eval::ProtocolOptions protocol = ProtocolFromFlags(flags);
  const auto [algo, settings] = ModelFromFlags(flags);
  for (size_t k : flags.ks) {
    if (k == 0) Fail("--k: cut-offs must be > 0");
  }
  auto start = std::chrono::steady_clock::now();
  eval::EvalSplit split = LoadSplit(flags, protocol);
  const double load_seconds = SecondsSince(start);
  PrintSplit(split, load_seconds);
  std::fflush(stdout);
  algo::FittedScorer fitted = OrFail(algo::FitScorer(algo, split.train, settings, true));
  std::printf("model: %s fitted in %.2f s\n", fitted.algo.c_str(), fitted.train_seconds);
  std::fflush(stdout);
  eval::EvalOptions options;
  options.ks = flags.ks;
  options.num_threads = flags.threads;
  options.show_progress = true;
  eval::EvalResult result = OrFail(eval::Evaluate(split, *fitted.scorer, options));
  eval::EvalReport report;
  report.dataset = DatasetLabel(flags);
  report.protocol = protocol;
  report.model = fitted.algo;
  report.options = fitted.options;
  report.split = split.stats;
  report.num_users = split.train.num_users();
  report.num_items = split.train.num_items();
  report.load_seconds = load_seconds;
  report.train_seconds = fitted.train_seconds;
  report.peak_memory_bytes = eval::PeakMemoryBytes();
  report.result = std::move(result);
  std::printf("%s", eval::FormatTable(report.result).c_str());
  std::printf("users evaluated %lld, skipped %lld; eval %.2f s; peak memory %.1f MiB\n",
              static_cast<long long>(report.result.users_evaluated),
              static_cast<long long>(report.result.users_skipped), report.result.seconds,
              static_cast<double>(report.peak_memory_bytes) / (1024.0 * 1024.0));
  if (!flags.json.empty()) {
    Status st = WriteFileAtomic(flags.json, eval::ReportToJson(report));
    if (!st.ok()) Fail("cannot write --json " + flags.json + ": " + st.ToString());
    std::printf("report written to %s\n", flags.json.c_str());
  }
}

}  // namespace

void RegisterEvalCommand(CLI::App& app) {
  auto flags = std::make_shared<EvalFlags>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Offline evaluation by full ranking: recall, NDCG, ... at K (docs/evaluation.md)");
  cmd->add_option("--train", flags->train, "Training file of a fixed split (e.g. train.txt)");
  cmd->add_option("--test", flags->test, "Test file of a fixed split (e.g. test.txt)");
  cmd->add_option("--data", flags->data, "Dataset file or directory to split with --protocol");
  cmd->add_option("--format", flags->format, "auto, lightgcn, movielens, csv, json")
      ->capture_default_str();
  cmd->add_option("--protocol", flags->protocol,
                  "fixed (with --train/--test), random, temporal, strong (default: random); "
                  "cold-items: vector recall on withheld items (docs/quality.md)");
  cmd->add_option("--test-fraction", flags->test_fraction,
                  "random: share of each user's positives held out; strong: share of users")
      ->capture_default_str();
  cmd->add_option("--fold-in-fraction", flags->fold_in_fraction,
                  "strong: share of a held-out user's positives given as history")
      ->capture_default_str();
  cmd->add_option("--seed", flags->seed, "Seed of the random and strong splits")
      ->capture_default_str();
  cmd->add_option("--leave-last", flags->leave_last, "temporal: hold out each user's last N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--time-cut", flags->time_cut,
                  "temporal: hold out positives at/after a time (RFC 3339 or Unix seconds) or a "
                  "quantile in (0, 1)");
  cmd->add_option("--algo", flags->algo,
                  "Algorithm: popular, itemcf, rp3beta, ease, ials, blend, ... (or --config)");
  cmd->add_option("--set", flags->settings,
                  "Model option key=value, repeatable (itemcf.neighbors, itemcf.shrinkage)");
  cmd->add_option("--k", flags->ks, "Cut-offs, comma separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--json", flags->json, "Write the JSON report to this file");
  cmd->add_option("--config", flags->config,
                  "Config written by `reco tune` (instead of --algo/--set)");
  cmd->add_option("--threads", flags->threads, "Threads (0 = number of cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->callback([flags] { RunEval(*flags); });
}

}  // namespace reco::cli
