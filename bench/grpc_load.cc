// reco_grpc_load: closed-loop load of reco.v1 RecommendService/Recommend for
// bench/serve_bench.py --grpc, the gRPC twin of its wrk load of GET /api/recommend/{user}.
//
//   reco_grpc_load HOST:PORT USERS_FILE CONCURRENCY SECONDS N [CHANNELS] [THREADS]
//
// CONCURRENCY calls are in flight at all times (each completion starts the next call on its
// slot) over CHANNELS HTTP/2 connections (default 8, 1..CONCURRENCY), driven by THREADS
// completion-queue threads (default 2, like wrk -t2); a channel may carry calls of both threads.
// User ids are taken from USERS_FILE in turn. Prints one line "RECO_BENCH_JSON {...}" with the
// fields serve_bench.py reads from its wrk script.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "reco/v1/recommend.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Call {
  grpc::ClientContext ctx;
  reco::v1::RecommendRequest request;
  reco::v1::RecommendResponse response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<reco::v1::RecommendResponse>> reader;
  Clock::time_point start;
  size_t stub = 0;
};

struct ThreadResult {
  std::vector<double> latencies_ms;
  uint64_t errors = 0;
  std::string first_error;
};

struct Load {
  std::vector<std::unique_ptr<reco::v1::RecommendService::Stub>> stubs;
  const std::vector<std::string>* users = nullptr;
  std::atomic<uint64_t> next_user{0};
  int n = 20;
  Clock::time_point end;
};

void StartCall(Load& load, grpc::CompletionQueue& cq, size_t stub) {
  auto* call = new Call;
  call->stub = stub;
  const auto& users = *load.users;
  call->request.set_user_id(users[load.next_user.fetch_add(1) % users.size()]);
  call->request.set_n(load.n);
  call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  call->start = Clock::now();
  call->reader = load.stubs[stub]->PrepareAsyncRecommend(&call->ctx, call->request, &cq);
  call->reader->StartCall();
  call->reader->Finish(&call->response, &call->status, call);
}

// Drives the call slots `slots` (each bound to one channel) on this thread's completion queue.
void Drive(Load& load, const std::vector<size_t>& slots, ThreadResult& out) {
  grpc::CompletionQueue cq;
  for (size_t stub : slots) StartCall(load, cq, stub);
  int outstanding = static_cast<int>(slots.size());
  void* tag = nullptr;
  bool ok = false;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    const auto now = Clock::now();
    if (ok && call->status.ok()) {
      out.latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(now - call->start).count());
    } else {
      if (out.errors++ == 0) out.first_error = call->status.error_message();
    }
    if (now < load.end) {
      StartCall(load, cq, call->stub);
    } else {
      --outstanding;
    }
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(p * (sorted.size() - 1) + 0.5));
  return sorted[i];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: reco_grpc_load HOST:PORT USERS_FILE CONCURRENCY SECONDS N [CHANNELS] "
                 "[THREADS]\n";
    return 2;
  }
  const std::string target = argv[1];
  const int concurrency = std::stoi(argv[3]);
  const double seconds = std::stod(argv[4]);
  const int channels = argc > 6 ? std::stoi(argv[6]) : 8;
  const int threads = argc > 7 ? std::stoi(argv[7]) : 2;
  std::vector<std::string> users;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) users.push_back(line);
  }
  if (users.empty() || threads < 1 || concurrency < threads || channels < 1 ||
      channels > concurrency) {
    std::cerr << "reco_grpc_load: no users in " << argv[2]
              << ", or THREADS below 1, or CONCURRENCY below THREADS, or CHANNELS not in "
                 "1..CONCURRENCY\n";
    return 2;
  }
  Load load;
  load.users = &users;
  load.n = std::stoi(argv[5]);
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // one connection per channel
    args.SetInt("reco.bench.channel", i);
    load.stubs.push_back(reco::v1::RecommendService::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
  }
  load.end = Clock::now() +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto started = Clock::now();
  std::vector<ThreadResult> results(threads);
  std::vector<std::thread> workers;
  // Call slot s runs on thread s % THREADS over channel s % CHANNELS: every channel carries
  // CONCURRENCY / CHANNELS calls in flight, whatever the number of threads.
  std::vector<std::vector<size_t>> slots(threads);
  for (int s = 0; s < concurrency; ++s) slots[s % threads].push_back(s % channels);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] { Drive(load, slots[t], results[t]); });
  }
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  std::vector<double> all;
  uint64_t errors = 0;
  std::string first_error;
  for (auto& r : results) {
    all.insert(all.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    errors += r.errors;
    if (first_error.empty()) first_error = r.first_error;
  }
  std::sort(all.begin(), all.end());
  if (!first_error.empty()) std::cerr << "first error: " << first_error << "\n";
  std::printf(
      "RECO_BENCH_JSON {\"requests\": %zu, \"duration_s\": %.3f, \"requests_per_s\": %.1f, "
      "\"latency_p50_ms\": %.3f, \"latency_p90_ms\": %.3f, \"latency_p99_ms\": %.3f, "
      "\"latency_max_ms\": %.3f, \"non_2xx_3xx\": %llu}\n",
      all.size(), elapsed, all.size() / elapsed, Percentile(all, 0.5), Percentile(all, 0.9),
      Percentile(all, 0.99), all.empty() ? 0.0 : all.back(),
      static_cast<unsigned long long>(errors));
  return errors > 0 && all.empty() ? 1 : 0;
}
