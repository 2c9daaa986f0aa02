// The real-time counters' cost per served list, without a server: OnExposure of lists of 20
// items over a Gowalla-sized catalogue (40,981 items, 29,858 users, items drawn with a Zipf-like
// skew as recommendations are), with a click every 50 lists, on 1..N threads. Prints the
// nanoseconds of CPU per list (docs/benchmarks.md).
//
//   reco_realtime_bench [lists per thread, default 500000] [threads, default 2]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "serving/realtime.h"

int main(int argc, char** argv) {
  using namespace reco;
  const int lists = argc > 1 ? std::atoi(argv[1]) : 500000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  constexpr int kItems = 40981, kUsers = 29858, kListSize = 20;
  std::vector<std::string> items, users;
  for (int i = 0; i < kItems; ++i) items.push_back(std::to_string(i));
  for (int i = 0; i < kUsers; ++i) users.push_back(std::to_string(i));
  RealtimeOptions options;
  options.windows = {*ParseWindowSpec("1h/1m", "w"), *ParseWindowSpec("24h/10m", "w")};
  options.hot_types = {"like"};
  options.click_types = {"like"};
  const Clock& clock = SystemClock::Get();
  auto realtime = Realtime::Create(options, clock);
  if (!realtime.ok()) return 1;
  Realtime& r = **realtime;
  // The lists are drawn before the clock starts: the loop times the counters only.
  constexpr int kDrawn = 8192;
  std::vector<std::vector<std::vector<std::string_view>>> drawn(threads);
  std::vector<std::vector<int>> drawn_users(threads);
  for (int t = 0; t < threads; ++t) {
    std::mt19937_64 rng(t + 1);
    std::uniform_real_distribution<double> u(0, 1);
    for (int n = 0; n < kDrawn; ++n) {
      drawn_users[t].push_back(static_cast<int>(rng() % kUsers));
      std::vector<std::string_view>& list = drawn[t].emplace_back(kListSize);
      for (auto& item : list) {
        // Zipf-like: index = kItems^u - 1 puts most lists on the popular items.
        item = items[static_cast<size_t>(std::pow(double(kItems), u(rng))) - 1];
      }
    }
  }
  auto work = [&](int t) {
    for (int n = 0; n < lists; ++n) {
      const std::vector<std::string_view>& list = drawn[t][n % kDrawn];
      // Users move on through the ids, so that the join forgets and re-creates users as it
      // does with Gowalla's 29,858 users against max_users 20,000.
      const std::string& user = users[(drawn_users[t][n % kDrawn] + n) % kUsers];
      r.OnExposure(user, "run-1", "recommend", list);
      if (n % 50 == 0) {
        const Feedback f{"like", user, std::string(list[3]), 1.0, 0, ""};
        r.OnFeedback(std::span(&f, 1));
      }
    }
  };
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& t : pool) t.join();
  const double cpu_s = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double total = double(lists) * threads;
  std::printf("lists %.0f threads %d wall %.2f s cpu %.2f s: %.0f ns of CPU per list "
              "(%.0f per item)\n",
              total, threads, wall_s, cpu_s, cpu_s * 1e9 / total,
              cpu_s * 1e9 / total / kListSize);
  std::printf("keys %llu buckets %llu\n", (unsigned long long)r.stats().keys,
              (unsigned long long)r.stats().buckets);
  return 0;
}
