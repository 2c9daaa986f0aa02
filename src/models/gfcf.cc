#include "models/gfcf.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "core/progress.h"
#include "models/binary_io.h"
#include "models/randomized_svd.h"

namespace reco {
namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr int kMaxFactors = 4096;

Status ValidateOptions(const GfcfOptions& o) {
  auto bad = [](const std::string& what, const std::string& key) {
    return InvalidArgument("GF-CF " + what, key);
  };
  if (o.factors < 1 || o.factors > kMaxFactors) {
    return bad("factors must be in 1..4096, got " + std::to_string(o.factors), "gfcf.factors");
  }
  if (!(o.ideal_weight >= 0) || !std::isfinite(o.ideal_weight)) {
    return bad("ideal_weight must be a finite number >= 0", "gfcf.alpha");
  }
  if (!(o.user_exponent >= 0 && o.user_exponent <= 2)) {
    return bad("user_exponent must be in [0, 2]", "gfcf.user_exponent");
  }
  if (!(o.item_exponent >= 0 && o.item_exponent <= 2)) {
    return bad("item_exponent must be in [0, 2]", "gfcf.item_exponent");
  }
  if (o.oversampling < 0 || o.oversampling > 4096) {
    return bad("oversampling must be in 0..4096", "gfcf.oversampling");
  }
  if (o.power_iterations < 0 || o.power_iterations > 20) {
    return bad("power_iterations must be in 0..20", "gfcf.power_iterations");
  }
  if (!(o.sharpen_time >= 0 && o.sharpen_time <= 100)) {
    return bad("sharpen_time must be in [0, 100]", "gfcf.sharpen_time");
  }
  if (o.sharpen_steps < 1 || o.sharpen_steps > 16) {
    return bad("sharpen_steps must be in 1..16", "gfcf.sharpen_steps");
  }
  return Status::Ok();
}

// d^-e for a degree d, 0 for degree 0.
float InversePower(size_t degree, double exponent) {
  return degree == 0 ? 0.0f : static_cast<float>(std::pow(double(degree), -exponent));
}

// dst[0..n) += s * src[0..n)
inline void Axpy(float s, const float* src, float* dst, size_t n) {
  for (size_t b = 0; b < n; ++b) dst[b] += s * src[b];
}

// Hot numeric kernel: out(r, :) = scale[r] · Σ_{p in offsets[r]..offsets[r+1]} w(index[p]) ·
// in(index[p], :), where w = weight (1 when null); in and out are row-major, rows of `batch`.
void GatherRows(size_t rows, const uint64_t* offsets, const uint32_t* index, const float* weight,
                const float* scale, const float* in, size_t batch, float* out) {
  for (size_t r = 0; r < rows; ++r) {
    float* dst = out + r * batch;
    std::fill(dst, dst + batch, 0.0f);
    for (uint64_t p = offsets[r]; p < offsets[r + 1]; ++p) {
      Axpy(weight == nullptr ? 1.0f : weight[index[p]], in + size_t{index[p]} * batch, dst, batch);
    }
    for (size_t b = 0; b < batch; ++b) dst[b] *= scale[r];
  }
}

// R~ = D_U^-a R D_I^-b as a sparse row-major matrix.
SparseRowMatrix NormalizedMatrix(const Dataset& d, double user_exponent, double item_exponent) {
  std::vector<float> item_scale(d.num_items());
  for (uint32_t i = 0; i < d.num_items(); ++i) {
    item_scale[i] = InversePower(d.ItemUsers(i).size(), item_exponent);
  }
  SparseRowMatrix r(static_cast<Eigen::Index>(d.num_users()),
                    static_cast<Eigen::Index>(d.num_items()));
  Eigen::VectorXi per_row(r.rows());
  for (uint32_t u = 0; u < d.num_users(); ++u) per_row[u] = int(d.UserItems(u).size());
  r.reserve(per_row);
  for (uint32_t u = 0; u < d.num_users(); ++u) {
    const float su = InversePower(d.UserItems(u).size(), user_exponent);
    for (uint32_t i : d.UserItems(u)) r.insert(u, i) = su * item_scale[i];
  }
  r.makeCompressed();
  return r;
}

}  // namespace

Result<GfcfModel> GfcfModel::Fit(const Dataset& dataset, const GfcfOptions& options) {
  RECO_RETURN_IF_ERROR(ValidateOptions(options));
  GfcfModel m;
  m.item_ids_ = dataset.item_ids();
  for (uint32_t i = 0; i < dataset.num_items(); ++i) {
    if (dataset.item_hidden(i)) m.hidden_items_.push_back(i);
  }
  m.user_offsets_.assign(1, 0);
  m.user_items_.reserve(dataset.num_positives());
  for (uint32_t u = 0; u < dataset.num_users(); ++u) {
    std::span<const uint32_t> items = dataset.UserItems(u);
    m.user_items_.insert(m.user_items_.end(), items.begin(), items.end());
    m.user_offsets_.push_back(m.user_items_.size());
  }
  m.ideal_weight_ = options.ideal_weight;
  m.user_exponent_ = options.user_exponent;
  m.item_exponent_ = options.item_exponent;
  m.sharpen_time_ = options.sharpen_time;
  m.sharpen_steps_ = options.sharpen_steps;
  m.sharpen_solver_ = options.sharpen_solver;
  const size_t min_dim = std::min(dataset.num_users(), dataset.num_items());
  m.factors_ = options.ideal_weight > 0
                   ? static_cast<int>(std::min<size_t>(size_t(options.factors), min_dim))
                   : 0;
  if (m.factors_ > 0) {
    RandomizedSvdOptions svd_options;
    svd_options.rank = m.factors_;
    svd_options.oversampling = options.oversampling;
    svd_options.power_iterations = options.power_iterations;
    svd_options.seed = options.seed;
    svd_options.num_threads = options.num_threads;
    svd_options.compute_left = false;
    Progress progress("gfcf", uint64_t(RandomizedSvdPasses(svd_options)), "passes",
                      options.show_progress);
    RECO_ASSIGN_OR_RETURN(
        TruncatedSvd svd,
        RandomizedSvd(NormalizedMatrix(dataset, options.user_exponent, options.item_exponent),
                      svd_options, &progress));
    if (options.show_progress) progress.Finish();
    m.singular_values_.assign(svd.singular_values.data(),
                              svd.singular_values.data() + svd.singular_values.size());
    m.right_vectors_.resize(svd.v.size());
    Eigen::Map<RowMatrix>(m.right_vectors_.data(), svd.v.rows(), svd.v.cols()) = svd.v;
  }
  m.Prepare();
  if (options.spectral_norm) {
    const double lambda = m.LargestEigenvalue();
    if (lambda > 0) {
      m.linear_scale_ = 1.0 / lambda;
      m.Prepare();
    }
  }
  m.info_.snapshot_id = dataset.snapshot_id();
  return m;
}

void GfcfModel::Prepare() {
  const size_t nu = num_users();
  const size_t ni = num_items();
  std::vector<uint64_t> degree(ni + 1, 0);
  for (uint32_t i : user_items_) ++degree[i + 1];
  item_offsets_.assign(ni + 1, 0);
  for (size_t i = 0; i < ni; ++i) item_offsets_[i + 1] = item_offsets_[i] + degree[i + 1];
  item_users_.resize(user_items_.size());
  std::vector<uint64_t> fill(item_offsets_.begin(), item_offsets_.end() - 1);
  user_scale_.resize(nu);
  for (uint32_t u = 0; u < nu; ++u) {
    const uint64_t begin = user_offsets_[u];
    const uint64_t end = user_offsets_[u + 1];
    user_scale_[u] =
        static_cast<float>(linear_scale_ * double(InversePower(end - begin, 2 * user_exponent_)));
    for (uint64_t p = begin; p < end; ++p) item_users_[fill[user_items_[p]]++] = u;
  }
  item_scale_.resize(ni);
  item_unscale_.resize(ni);
  for (size_t i = 0; i < ni; ++i) {
    const size_t d = item_offsets_[i + 1] - item_offsets_[i];
    item_scale_[i] = InversePower(d, item_exponent_);
    item_unscale_[i] = d == 0 ? 0.0f : static_cast<float>(std::pow(double(d), item_exponent_));
  }
  output_mask_.assign(ni, 1.0f);
  for (uint32_t i : hidden_items_) output_mask_[i] = 0.0f;
}

// out = y·P~ for y an items × batch matrix: t(u, :) = d(u)^-2a Σ_{j in items(u)} d(j)^-b y(j, :),
// then out(j, :) = d(j)^-b Σ_{u in users(j)} t(u, :): two gathers over the training matrix.
void GfcfModel::ApplyLinearFilter(const float* y, size_t batch, float* t, float* out) const {
  GatherRows(num_users(), user_offsets_.data(), user_items_.data(), item_scale_.data(),
             user_scale_.data(), y, batch, t);
  ItemsFromUsers(t, batch, out);
}

double GfcfModel::LargestEigenvalue() const {
  const size_t ni = num_items();
  std::vector<float> x(ni, 1.0f), y(ni), t(num_users());
  double lambda = 0;
  for (int iteration = 0; iteration < 100; ++iteration) {
    double norm = 0;
    for (float v : x) norm += double(v) * v;
    if (norm == 0) return 0;
    ApplyLinearFilter(x.data(), 1, t.data(), y.data());
    double dot = 0, next_norm = 0;
    for (size_t j = 0; j < ni; ++j) {
      dot += double(x[j]) * y[j];
      next_norm += double(y[j]) * y[j];
    }
    const double previous = lambda;
    lambda = dot / norm;  // Rayleigh quotient of the symmetric P~
    if (next_norm == 0) return 0;
    const auto inv = static_cast<float>(1.0 / std::sqrt(next_norm));
    for (size_t j = 0; j < ni; ++j) x[j] = y[j] * inv;
    if (iteration > 5 && std::fabs(lambda - previous) <= 1e-7 * lambda) break;
  }
  return lambda;
}

void GfcfModel::ItemsFromUsers(const float* t, size_t batch, float* out) const {
  GatherRows(num_items(), item_offsets_.data(), item_users_.data(), nullptr, item_scale_.data(), t,
             batch, out);
}

void GfcfModel::Score(std::span<const uint32_t> history, std::span<float> scores) const {
  const std::span<const uint32_t> one[] = {history};
  ScoreBatch(one, scores);
}

void GfcfModel::ScoreBatch(std::span<const std::span<const uint32_t>> histories,
                           std::span<float> scores) const {
  const size_t batch = histories.size();
  const size_t ni = num_items();
  if (batch == 0 || ni == 0) return;
  // Item-major work arrays: element (j, r) of an items × batch matrix is at j * batch + r.
  std::vector<float> y(ni * batch);
  std::vector<float> t(num_users() * batch, 0.0f);
  std::vector<float> s(ni * batch);
  // Linear filter of the binary histories: t = r·R~ᵀ by a scatter over the history items only.
  for (size_t r = 0; r < batch; ++r) {
    for (uint32_t h : histories[r]) {
      if (h >= ni) continue;
      for (uint64_t p = item_offsets_[h]; p < item_offsets_[h + 1]; ++p) {
        t[size_t{item_users_[p]} * batch + r] += item_scale_[h];
      }
    }
  }
  for (size_t u = 0; u < num_users(); ++u) {
    for (size_t b = 0; b < batch; ++b) t[u * batch + b] *= user_scale_[u];
  }
  ItemsFromUsers(t.data(), batch, s.data());
  if (factors_ > 0 && ideal_weight_ > 0) {
    // x = r · D_I^-b · V_k (batch × k); s += alpha · D_I^b · V_k · xᵀ.
    const auto k = static_cast<Eigen::Index>(factors_);
    Eigen::Map<const RowMatrix> v(right_vectors_.data(), static_cast<Eigen::Index>(ni), k);
    RowMatrix x = RowMatrix::Zero(static_cast<Eigen::Index>(batch), k);
    for (size_t r = 0; r < batch; ++r) {
      for (uint32_t h : histories[r]) {
        if (h < ni) x.row(Eigen::Index(r)).noalias() += item_scale_[h] * v.row(h);
      }
    }
    Eigen::Map<RowMatrix> ideal(y.data(), static_cast<Eigen::Index>(ni),
                                static_cast<Eigen::Index>(batch));
    ideal.noalias() = v * x.transpose();
    const auto alpha = static_cast<float>(ideal_weight_);
    for (size_t j = 0; j < ni; ++j) {
      Axpy(alpha * item_unscale_[j], y.data() + j * batch, s.data() + j * batch, batch);
    }
  }
  if (sharpen_time_ > 0) Sharpen(batch, s, y, t);
  for (size_t j = 0; j < ni; ++j) {
    const float* sj = s.data() + j * batch;
    for (size_t r = 0; r < batch; ++r) scores[r * ni + j] = sj[r] * output_mask_[j];
  }
}

void GfcfModel::Sharpen(size_t batch, std::vector<float>& s, std::vector<float>& y,
                        std::vector<float>& t) const {
  const float h = static_cast<float>(sharpen_time_ / sharpen_steps_);
  std::vector<float> k(s.size());
  if (sharpen_solver_ == SharpenSolver::kEuler) {
    for (int step = 0; step < sharpen_steps_; ++step) {
      ApplyLinearFilter(s.data(), batch, t.data(), k.data());
      for (size_t e = 0; e < s.size(); ++e) s[e] -= h * k[e];
    }
    return;
  }
  // Classic RK4 on ds/dt = −s·P~; the k_n are stored negated (k = s·P~) and subtracted.
  std::vector<float> acc(s.size());
  for (int step = 0; step < sharpen_steps_; ++step) {
    ApplyLinearFilter(s.data(), batch, t.data(), k.data());  // k1
    acc = k;
    for (size_t e = 0; e < y.size(); ++e) y[e] = s[e] - 0.5f * h * k[e];
    ApplyLinearFilter(y.data(), batch, t.data(), k.data());  // k2
    for (size_t e = 0; e < y.size(); ++e) {
      acc[e] += 2 * k[e];
      y[e] = s[e] - 0.5f * h * k[e];
    }
    ApplyLinearFilter(y.data(), batch, t.data(), k.data());  // k3
    for (size_t e = 0; e < y.size(); ++e) {
      acc[e] += 2 * k[e];
      y[e] = s[e] - h * k[e];
    }
    ApplyLinearFilter(y.data(), batch, t.data(), k.data());  // k4
    for (size_t e = 0; e < y.size(); ++e) s[e] -= h / 6 * (acc[e] + k[e]);
  }
}

std::string GfcfModel::Serialize() const {
  BinaryWriter w;
  w.U32(static_cast<uint32_t>(factors_));
  w.F64(ideal_weight_);
  w.F64(user_exponent_);
  w.F64(item_exponent_);
  w.F64(sharpen_time_);
  w.U32(static_cast<uint32_t>(sharpen_steps_));
  w.U8(sharpen_solver_ == SharpenSolver::kEuler ? 0 : 1);
  w.StringArray(item_ids_);
  w.U32Array(hidden_items_);
  w.U64Array(user_offsets_);
  w.U32Array(user_items_);
  w.F32Array(singular_values_);
  w.F32Array(right_vectors_);
  w.F64(linear_scale_);
  return w.Take();
}

Result<GfcfModel> GfcfModel::Deserialize(std::string_view payload) {
  BinaryReader r(payload, "gfcf payload");
  GfcfModel m;
  uint32_t factors = 0, steps = 0;
  uint8_t solver = 0;
  RECO_RETURN_IF_ERROR(r.U32(factors));
  RECO_RETURN_IF_ERROR(r.F64(m.ideal_weight_));
  RECO_RETURN_IF_ERROR(r.F64(m.user_exponent_));
  RECO_RETURN_IF_ERROR(r.F64(m.item_exponent_));
  RECO_RETURN_IF_ERROR(r.F64(m.sharpen_time_));
  RECO_RETURN_IF_ERROR(r.U32(steps));
  RECO_RETURN_IF_ERROR(r.U8(solver));
  RECO_RETURN_IF_ERROR(r.StringArray(m.item_ids_));
  RECO_RETURN_IF_ERROR(r.U32Array(m.hidden_items_));
  RECO_RETURN_IF_ERROR(r.U64Array(m.user_offsets_));
  RECO_RETURN_IF_ERROR(r.U32Array(m.user_items_));
  RECO_RETURN_IF_ERROR(r.F32Array(m.singular_values_));
  RECO_RETURN_IF_ERROR(r.F32Array(m.right_vectors_));
  // Files written before spectral_norm existed end here and use P~ unscaled.
  if (r.remaining() > 0) RECO_RETURN_IF_ERROR(r.F64(m.linear_scale_));
  RECO_RETURN_IF_ERROR(r.ExpectEnd());
  if (!(m.linear_scale_ > 0) || !std::isfinite(m.linear_scale_)) {
    return r.Corrupt("linear scale out of range");
  }
  GfcfOptions check;
  check.ideal_weight = m.ideal_weight_;
  check.user_exponent = m.user_exponent_;
  check.item_exponent = m.item_exponent_;
  check.sharpen_time = m.sharpen_time_;
  check.sharpen_steps = static_cast<int>(std::min<uint32_t>(steps, 1000));
  if (!ValidateOptions(check).ok() || factors > kMaxFactors || solver > 1) {
    return r.Corrupt("hyperparameters out of range");
  }
  m.factors_ = static_cast<int>(factors);
  m.sharpen_steps_ = check.sharpen_steps;
  m.sharpen_solver_ = solver == 0 ? SharpenSolver::kEuler : SharpenSolver::kRk4;
  const size_t ni = m.item_ids_.size();
  if (m.singular_values_.size() != factors || m.right_vectors_.size() != ni * factors) {
    return r.Corrupt("factor sizes are inconsistent");
  }
  if (m.user_offsets_.empty() || m.user_offsets_.front() != 0 ||
      m.user_offsets_.back() != m.user_items_.size() ||
      !std::is_sorted(m.user_offsets_.begin(), m.user_offsets_.end())) {
    return r.Corrupt("bad user offsets");
  }
  for (uint32_t i : m.user_items_) {
    if (i >= ni) return r.Corrupt("item index out of range");
  }
  for (uint32_t i : m.hidden_items_) {
    if (i >= ni) return r.Corrupt("hidden item index out of range");
  }
  m.Prepare();
  return m;
}

}  // namespace reco
