// `reco demo-data --out DIR [--users N] [--items M] [--seed S] [--days D] [--end TIME]`: writes a
// synthetic dataset in Gorse's JSON shape (users.jsonl, items.jsonl, feedback.jsonl and the
// marker reco-demo.json) that `reco import` recognises. Its feedback ends now, or at --end;
// the same seed and --end give the same files.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "core/time.h"
#include "ingest/demo_data.h"

namespace reco::cli {
namespace {

struct DemoDataFlags {
  std::string out;
  std::string end;
  ingest::DemoDataOptions options;
};

void RunDemoData(const DemoDataFlags& flags) {
  auto start = std::chrono::steady_clock::now();
  ingest::DemoDataOptions options = flags.options;
  if (!flags.end.empty()) {
    Result<TimestampUs> end = ParseTimestamp(flags.end);
    if (!end.ok()) throw CommandFailed{2, "demo-data: --end: " + end.status().message()};
    options.end = *end;
  }
  Result<ingest::DemoDataStats> stats =
      ingest::WriteDemoData(flags.out, options, SystemClock::Get());
  if (!stats.ok()) throw CommandFailed{1, "demo-data: " + stats.status().message()};
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %lld users, %lld items, %lld feedback ending %s to %s in %.2f s (seed %llu)\n",
              static_cast<long long>(stats->users), static_cast<long long>(stats->items),
              static_cast<long long>(stats->feedback),
              FormatTimestamp(stats->reference_time).c_str(), flags.out.c_str(), secs,
              static_cast<unsigned long long>(options.seed));
}

}  // namespace

void RegisterDemoDataCommand(CLI::App& app) {
  auto flags = std::make_shared<DemoDataFlags>();
  CLI::App* cmd = app.add_subcommand(
      "demo-data", "Write a realistic synthetic dataset (Gorse JSON lines) for trying reco");
  cmd->add_option("--out", flags->out, "Output directory (created when missing)")->required();
  cmd->add_option("--users", flags->options.users, "Number of users")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--items", flags->options.items, "Number of items")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", flags->options.seed, "Random seed (same seed, same files)")
      ->capture_default_str();
  cmd->add_option("--days", flags->options.days, "Days of feedback, ending at --end")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--end", flags->end,
                  "End of the feedback (RFC 3339 date or date-time, UTC unless an offset is "
                  "given); default: now");
  cmd->callback([flags] { RunDemoData(*flags); });
}

}  // namespace reco::cli
