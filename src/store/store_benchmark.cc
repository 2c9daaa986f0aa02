// store_benchmark: timings of a Store (SQLite; PostgreSQL when RECO_BENCH_STORE_URL names a
// database, whose schema reco_bench is dropped and recreated for each measurement) on a
// Gowalla-sized data set (30k users, 41k
// items, 810k feedback rows): Import, ScanFeedback, InsertFeedback in batches of 1,000 (into
// a store holding only the users and items, and into one already holding every feedback row),
// and InsertFeedback from T concurrent writers (4, 8, 16) into the full store.
//
// Usage: store_benchmark [train.txt] [concurrent-only [writers]]   ("user item item ..." per
// line; synthetic data when absent). Prints one line per measurement.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace reco {
namespace {

struct DataSet {
  std::vector<User> users;
  std::vector<Item> items;
  std::vector<Feedback> feedback;
};

DataSet LoadGowalla(const std::string& path) {
  DataSet data;
  std::ifstream in(path);
  std::string line;
  int64_t max_item = -1;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    int64_t user = 0;
    int64_t item = 0;
    if (!(fields >> user)) continue;
    data.users.push_back(User{"u" + std::to_string(user), "null", ""});
    while (fields >> item) {
      data.feedback.push_back(
          Feedback{"click", data.users.back().user_id, "i" + std::to_string(item), 1.0, 0, ""});
      max_item = std::max(max_item, item);
    }
  }
  for (int64_t i = 0; i <= max_item; ++i) {
    Item item;
    item.item_id = "i" + std::to_string(i);
    data.items.push_back(std::move(item));
  }
  return data;
}

DataSet Synthetic(int users, int items, int rows) {
  DataSet data;
  std::mt19937_64 rng(42);
  for (int u = 0; u < users; ++u) data.users.push_back(User{"u" + std::to_string(u), "null", ""});
  for (int i = 0; i < items; ++i) {
    Item item;
    item.item_id = "i" + std::to_string(i);
    data.items.push_back(std::move(item));
  }
  for (int r = 0; r < rows; ++r) {
    data.feedback.push_back(Feedback{"click", "u" + std::to_string(r % users),
                                     "i" + std::to_string(rng() % items), 1.0, 0, ""});
  }
  return data;
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU seconds of this process so far: on a busy machine a fairer figure than wall time.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A fresh PostgreSQL store in schema reco_bench of `url`.
Result<std::unique_ptr<Store>> OpenFreshPostgres(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  PGresult* res = PQexec(conn, "DROP SCHEMA IF EXISTS reco_bench CASCADE");
  const bool dropped = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string error = PQerrorMessage(conn);
  PQclear(res);
  PQfinish(conn);
  if (!dropped) return Unavailable("drop schema reco_bench: " + error);
  PostgresStoreOptions options;
  options.url = url;
  options.schema = "reco_bench";
  return OpenPostgresStore(options);
}

std::unique_ptr<Store> OpenFresh(const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  SqliteStoreOptions options;
  options.path = dir / "bench.db";
  const char* pg_url = std::getenv("RECO_BENCH_STORE_URL");
  auto store = pg_url != nullptr && *pg_url != '\0' ? OpenFreshPostgres(pg_url)
                                                    : OpenSqliteStore(options);
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(store).value();
}

void Check(const Status& st, const char* what) {
  if (st.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, st.ToString().c_str());
  std::exit(1);
}

void BenchImportAndScan(const DataSet& data, const std::filesystem::path& dir) {
  auto store = OpenFresh(dir);
  auto start = std::chrono::steady_clock::now();
  double cpu = CpuSeconds();
  Check(store->Import(data.users, data.items, data.feedback, {}), "import");
  double s = Seconds(start);
  cpu = CpuSeconds() - cpu;
  size_t rows = data.users.size() + data.items.size() + data.feedback.size();
  std::printf(
      "Import: %zu rows (%zu users, %zu items, %zu feedback) in %.3f s = %.0f rows/s"
      " (cpu %.3f s = %.0f rows/cpu-s)\n",
      rows, data.users.size(), data.items.size(), data.feedback.size(), s, rows / s, cpu,
      rows / cpu);
  for (int run = 0; run < 2; ++run) {
    start = std::chrono::steady_clock::now();
    cpu = CpuSeconds();
    int64_t scanned = 0;
    Check(store->ScanFeedback(0, [&](const FeedbackRecord&) { ++scanned; }), "scan");
    s = Seconds(start);
    cpu = CpuSeconds() - cpu;
    std::printf("ScanFeedback(0): %lld rows in %.3f s = %.0f rows/s (cpu %.3f s)\n",
                static_cast<long long>(scanned), s, scanned / s, cpu);
  }
  store->Close();
}

void BenchInsertBatches(const DataSet& data, const std::filesystem::path& dir, bool with_feedback) {
  auto store = OpenFresh(dir);
  std::span<const Feedback> existing;
  if (with_feedback) existing = data.feedback;
  Check(store->Import(data.users, data.items, existing, {}), "import");
  std::mt19937_64 rng(7);
  constexpr int kBatch = 1000;
  constexpr int kBatches = 300;
  std::vector<std::vector<Feedback>> batches(kBatches);
  for (auto& batch : batches) {
    for (int i = 0; i < kBatch; ++i) {
      batch.push_back(Feedback{"like", data.users[rng() % data.users.size()].user_id,
                               data.items[rng() % data.items.size()].item_id, 1.0, 0, ""});
    }
  }
  auto start = std::chrono::steady_clock::now();
  double cpu = CpuSeconds();
  int64_t written = 0;
  for (const auto& batch : batches) {
    auto r = store->InsertFeedback(batch, {});
    Check(r.status(), "insert");
    written += *r;
  }
  double s = Seconds(start);
  cpu = CpuSeconds() - cpu;
  std::printf(
      "InsertFeedback into %s: %d batches of %d rows (%lld written) in %.3f s = %.0f rows/s"
      " (cpu %.3f s = %.0f rows/cpu-s)\n",
      with_feedback ? "full store" : "empty feedback", kBatches, kBatch,
      static_cast<long long>(written), s, kBatches * kBatch / s, cpu, kBatches * kBatch / cpu);
  store->Close();
}

// Random 1,000-row batches of new (user, item) pairs under a type the store does not hold yet.
std::vector<std::vector<Feedback>> RandomBatches(const DataSet& data, int batches, uint64_t seed) {
  std::mt19937_64 rng(seed);
  constexpr int kBatch = 1000;
  std::vector<std::vector<Feedback>> out(batches);
  for (auto& batch : out) {
    for (int i = 0; i < kBatch; ++i) {
      batch.push_back(Feedback{"like", data.users[rng() % data.users.size()].user_id,
                               data.items[rng() % data.items.size()].item_id, 1.0, 0, ""});
    }
  }
  return out;
}

// `threads` writers each insert their own batches into a store holding every feedback row.
void BenchConcurrentInserts(const DataSet& data, const std::filesystem::path& dir, int threads) {
  auto store = OpenFresh(dir);
  Check(store->Import(data.users, data.items, data.feedback, {}), "import");
  constexpr int kBatchesTotal = 480;
  const int per_thread = kBatchesTotal / threads;
  std::vector<std::vector<std::vector<Feedback>>> work;
  for (int t = 0; t < threads; ++t) work.push_back(RandomBatches(data, per_thread, 100 + t));
  std::vector<int64_t> written(threads, 0);
  auto start = std::chrono::steady_clock::now();
  double cpu = CpuSeconds();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (const auto& batch : work[t]) {
        auto r = store->InsertFeedback(batch, {});
        Check(r.status(), "insert");
        written[t] += *r;
      }
    });
  }
  for (auto& th : pool) th.join();
  double s = Seconds(start);
  cpu = CpuSeconds() - cpu;
  int64_t total = 0;
  for (int64_t w : written) total += w;
  const double rows = static_cast<double>(threads) * per_thread * 1000;
  std::printf(
      "InsertFeedback into full store, %d writers: %d batches of 1000 rows (%lld written) in"
      " %.3f s = %.0f rows/s (cpu %.3f s = %.0f rows/cpu-s)\n",
      threads, threads * per_thread, static_cast<long long>(total), s, rows / s, cpu, rows / cpu);
  store->Close();
}

}  // namespace
}  // namespace reco

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : RECO_SOURCE_DIR "/../shared/datasets/gowalla/train.txt";
  reco::DataSet data = std::filesystem::exists(path) ? reco::LoadGowalla(path)
                                                     : reco::Synthetic(30'000, 41'000, 810'000);
  auto dir = std::filesystem::temp_directory_path() /
             ("reco_store_benchmark_" + std::to_string(::getpid()));
  const bool concurrent_only = argc > 2 && std::string(argv[2]) == "concurrent-only";
  if (!concurrent_only) {
    reco::BenchImportAndScan(data, dir);
    reco::BenchInsertBatches(data, dir, /*with_feedback=*/false);
    reco::BenchInsertBatches(data, dir, /*with_feedback=*/true);
  }
  std::vector<int> writers = {4, 8, 16};
  if (concurrent_only && argc > 3) writers = {std::stoi(argv[3])};
  for (int threads : writers) reco::BenchConcurrentInserts(data, dir, threads);
  std::filesystem::remove_all(dir);
  return 0;
}
