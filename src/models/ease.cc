#include "models/ease.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <functional>
#include <thread>

#include "core/progress.h"
#include "core/threads.h"
#include "models/binary_io.h"

namespace reco {
namespace {

using MatrixMap = Eigen::Map<Eigen::MatrixXf>;

// Calls fn(begin, end) on consecutive blocks of [0, n) from `threads` threads.
void ParallelBlocks(size_t n, size_t block, int threads,
                    const std::function<void(size_t, size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (;;) {
      size_t begin = next.fetch_add(block);
      if (begin >= n) break;
      fn(begin, std::min(n, begin + block));
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

std::string FormatBytes(uint64_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f GiB", static_cast<double>(bytes) / (1u << 30));
  return buf;
}

Status CheckBudget(size_t n, const EaseOptions& options) {
  const uint64_t needed = EaseModel::FitMemoryBytes(n);
  if (needed <= options.max_memory_bytes) return Status::Ok();
  return ResourceExhausted("EASE on " + std::to_string(n) + " items needs " + FormatBytes(needed) +
                           " (two dense " + std::to_string(n) + "x" + std::to_string(n) +
                           " float matrices), over the budget of " +
                           FormatBytes(options.max_memory_bytes) +
                           " (max_memory_bytes = " + std::to_string(options.max_memory_bytes) +
                           "; reco eval: --set ease.max_memory_gib=N)");
}

// gram(a, b) = number of users with positives on both a and b, plus lambda on the diagonal.
void FillGram(const Dataset& d, double lambda, int threads, MatrixMap gram, Progress& progress) {
  const size_t n = d.num_items();
  ParallelBlocks(n, 64, threads, [&](size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b) {
      float* col = gram.col(static_cast<Eigen::Index>(b)).data();
      std::fill(col, col + n, 0.0f);
      for (uint32_t u : d.ItemUsers(static_cast<uint32_t>(b))) {
        for (uint32_t a : d.UserItems(u)) col[a] += 1.0f;
      }
      col[b] += static_cast<float>(lambda);
    }
    progress.Add(end - begin);
  });
}

}  // namespace

uint64_t EaseModel::FitMemoryBytes(uint64_t num_items) {
  return 2 * num_items * num_items * sizeof(float);
}

Result<EaseModel> EaseModel::Fit(const Dataset& dataset, const EaseOptions& options) {
  if (!(options.lambda > 0) || !std::isfinite(options.lambda)) {
    return InvalidArgument("EASE lambda must be a finite number > 0", "ease.lambda");
  }
  const size_t n = dataset.num_items();
  RECO_RETURN_IF_ERROR(CheckBudget(n, options));
  const int threads = ThreadCount(options.num_threads, n);
  const auto en = static_cast<Eigen::Index>(n);
  std::vector<float> inverse(n * n, 0.0f);
  {
    std::vector<float> gram_buffer(n * n);
    MatrixMap gram(gram_buffer.data(), en, en);
    Progress gram_progress("ease gram", n, "items", options.show_progress);
    FillGram(dataset, options.lambda, threads, gram, gram_progress);
    if (options.show_progress) gram_progress.Finish();
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>> llt(gram);
    if (llt.info() != Eigen::Success) {
      return Internal("EASE: the regularised Gram matrix is not positive definite");
    }
    MatrixMap p(inverse.data(), en, en);
    Progress solve_progress("ease inverse", n, "columns", options.show_progress);
    // P = L⁻ᵀ L⁻¹ by column blocks. Columns c0.. of L⁻¹ are zero above row c0, so the forward
    // solve only needs the trailing corner of L; the backward solve runs on whole columns.
    ParallelBlocks(n, 256, threads, [&](size_t begin, size_t end) {
      const auto c0 = static_cast<Eigen::Index>(begin);
      const auto w = static_cast<Eigen::Index>(end - begin);
      for (Eigen::Index c = c0; c < c0 + w; ++c) p(c, c) = 1.0f;
      auto lower = p.block(c0, c0, en - c0, w);
      gram.bottomRightCorner(en - c0, en - c0).triangularView<Eigen::Lower>().solveInPlace(lower);
      auto block = p.middleCols(c0, w);
      gram.triangularView<Eigen::Lower>().transpose().solveInPlace(block);
      solve_progress.Add(end - begin);
    });
    if (options.show_progress) solve_progress.Finish();
  }
  // P is symmetric, so column h of P (contiguous) is row h; B(h, j) = -P(h, j) / P(j, j).
  std::vector<float> inv_diag(n);
  for (size_t j = 0; j < n; ++j) {
    inv_diag[j] = dataset.item_hidden(static_cast<uint32_t>(j)) ? 0.0f : -1.0f / inverse[j * n + j];
  }
  ParallelBlocks(n, 256, threads, [&](size_t begin, size_t end) {
    for (size_t h = begin; h < end; ++h) {
      float* row = inverse.data() + h * n;
      for (size_t j = 0; j < n; ++j) row[j] *= inv_diag[j];
      row[h] = 0.0f;
    }
  });
  EaseModel model;
  model.item_ids_ = dataset.item_ids();
  model.weights_ = std::move(inverse);
  model.lambda_ = options.lambda;
  model.info_.snapshot_id = dataset.snapshot_id();
  return model;
}

std::span<const float> EaseModel::Row(uint32_t item) const {
  if (item >= num_items()) return {};
  return std::span<const float>(weights_.data() + size_t{item} * num_items(), num_items());
}

void EaseModel::Score(std::span<const uint32_t> history, std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  const size_t n = num_items();
  for (uint32_t h : history) {
    if (h >= n) continue;
    const float* row = weights_.data() + size_t{h} * n;
    for (size_t j = 0; j < n; ++j) scores[j] += row[j];
  }
}

std::string EaseModel::Serialize() const {
  BinaryWriter w;
  w.F64(lambda_);
  w.StringArray(item_ids_);
  w.F32Array(weights_);
  return w.Take();
}

Result<EaseModel> EaseModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "ease payload");
  EaseModel m;
  RECO_RETURN_IF_ERROR(r.F64(m.lambda_));
  RECO_RETURN_IF_ERROR(r.StringArray(m.item_ids_));
  RECO_RETURN_IF_ERROR(r.F32Array(m.weights_));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  const uint64_t n = m.item_ids_.size();
  if (m.weights_.size() != n * n) return r.Corrupt("weight matrix is not num_items²");
  return m;
}

}  // namespace reco
