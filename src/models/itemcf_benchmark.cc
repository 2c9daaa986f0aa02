// Times dataset building, item-CF training and model save/load on the Gowalla split
// (../shared/datasets/gowalla/train.txt relative to the source tree, or $RECO_GOWALLA_TRAIN): one line per user,
// "user item item ...". Skips with a message when the file is absent.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/testing/fake_store.h"
#include "models/itemcf.h"
#include "models/popularity.h"

namespace reco {
namespace {

struct Rows {
  std::vector<std::string> users;
  std::vector<std::vector<std::string>> items;  // parallel to users
};

std::string TrainPath() {
  const char* env = std::getenv("RECO_GOWALLA_TRAIN");
  return env != nullptr ? env : RECO_SOURCE_DIR "/../shared/datasets/gowalla/train.txt";
}

const std::optional<Rows>& GowallaRows() {
  static const std::optional<Rows> rows = []() -> std::optional<Rows> {
    std::ifstream in(TrainPath());
    if (!in) return std::nullopt;
    Rows r;
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string user, item;
      if (!(fields >> user)) continue;
      r.users.push_back(user);
      r.items.emplace_back();
      while (fields >> item) r.items.back().push_back(item);
    }
    return r;
  }();
  return rows;
}

Dataset BuildDataset(const Rows& rows) {
  DatasetBuilder b;
  for (size_t u = 0; u < rows.users.size(); ++u) {
    uint32_t user = b.AddUser(rows.users[u]);
    for (const std::string& id : rows.items[u]) b.AddPositive(user, b.AddItem(id), 0);
  }
  return std::move(b).Build();
}

const Dataset* Gowalla() {
  static const std::optional<Dataset> dataset = []() -> std::optional<Dataset> {
    if (!GowallaRows()) return std::nullopt;
    return BuildDataset(*GowallaRows());
  }();
  return dataset ? &*dataset : nullptr;
}

bool SkipWithoutData(benchmark::State& state) {
  if (Gowalla() != nullptr) return false;
  state.SkipWithError(("Gowalla training file absent: " + TrainPath()).c_str());
  return true;
}

void BM_DatasetBuild(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  for (auto _ : state) {
    Dataset d = BuildDataset(*GowallaRows());
    benchmark::DoNotOptimize(d.num_positives());
  }
  state.counters["positives"] = static_cast<double>(Gowalla()->num_positives());
}
BENCHMARK(BM_DatasetBuild)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ItemCfFit(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  ItemCfOptions options;
  options.num_threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Result<ItemCfModel> m = ItemCfModel::Fit(*Gowalla(), options);
    benchmark::DoNotOptimize(m.ok());
  }
  state.counters["items"] = static_cast<double>(Gowalla()->num_items());
}
BENCHMARK(BM_ItemCfFit)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_PopularityFit(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  for (auto _ : state) {
    Result<PopularityModel> m = PopularityModel::Fit(*Gowalla(), PopularityOptions{});
    benchmark::DoNotOptimize(m.ok());
  }
}
BENCHMARK(BM_PopularityFit)->Unit(benchmark::kMillisecond)->Iterations(3);

const ItemCfModel* GowallaItemCf() {
  static const std::optional<ItemCfModel> model = []() -> std::optional<ItemCfModel> {
    if (Gowalla() == nullptr) return std::nullopt;
    Result<ItemCfModel> m = ItemCfModel::Fit(*Gowalla(), ItemCfOptions{});
    if (!m.ok()) return std::nullopt;
    return std::move(m).value();
  }();
  return model ? &*model : nullptr;
}

std::filesystem::path BenchmarkFile() {
  return std::filesystem::temp_directory_path() /
         ("itemcf_benchmark_" + std::to_string(::getpid()) + ".rmdl");
}

void BM_ItemCfSave(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  const ItemCfModel* m = GowallaItemCf();
  auto path = BenchmarkFile();
  for (auto _ : state) benchmark::DoNotOptimize(m->Save(path, 1).ok());
  state.counters["file_mb"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
}
BENCHMARK(BM_ItemCfSave)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ItemCfLoad(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  auto path = BenchmarkFile();
  if (!GowallaItemCf()->Save(path, 1).ok()) {
    state.SkipWithError("cannot write the model file");
    return;
  }
  for (auto _ : state) {
    Result<ItemCfModel> loaded = ItemCfModel::Load(path);
    benchmark::DoNotOptimize(loaded.ok());
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_ItemCfLoad)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_DatasetFromStore(benchmark::State& state) {
  if (SkipWithoutData(state)) return;
  testing::FakeStore store;
  const Rows& rows = *GowallaRows();
  for (size_t u = 0; u < rows.users.size(); ++u) {
    for (const std::string& item : rows.items[u]) {
      Feedback f;
      f.feedback_type = "like";
      f.user_id = rows.users[u];
      f.item_id = item;
      f.timestamp = static_cast<TimestampUs>(store.feedback.size());
      store.feedback.push_back(std::move(f));
    }
  }
  for (auto _ : state) {
    Result<Dataset> d = Dataset::FromStore(store, FeedbackTypes{});
    benchmark::DoNotOptimize(d.ok());
  }
  state.counters["feedback_rows"] = static_cast<double>(store.feedback.size());
}
BENCHMARK(BM_DatasetFromStore)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace reco

BENCHMARK_MAIN();
