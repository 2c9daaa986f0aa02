// `reco demo-data --out DIR [--users N] [--items M] [--seed S] [--days D]`: writes a synthetic,
// deterministic dataset in Gorse's JSON shape (users.jsonl, items.jsonl, feedback.jsonl and the
// marker reco-demo.json) that `reco import` recognises.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "ingest/demo_data.h"

namespace reco::cli {
namespace {

struct DemoDataFlags {
  std::string out;
  ingest::DemoDataOptions options;
};

void RunDemoData(const DemoDataFlags& flags) {
  auto start = std::chrono::steady_clock::now();
  Result<ingest::DemoDataStats> stats = ingest::WriteDemoData(flags.out, flags.options);
  if (!stats.ok()) throw CommandFailed{1, "demo-data: " + stats.status().message()};
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %lld users, %lld items, %lld feedback to %s in %.2f s (seed %llu)\n",
              static_cast<long long>(stats->users), static_cast<long long>(stats->items),
              static_cast<long long>(stats->feedback), flags.out.c_str(), secs,
              static_cast<unsigned long long>(flags.options.seed));
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
  cmd->add_option("--days", flags->options.days, "Days of feedback, ending at a seed-derived date")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([flags] { RunDemoData(*flags); });
}

}  // namespace reco::cli
