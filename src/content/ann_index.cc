#include "content/ann_index.h"

#include <hnswlib/hnswlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <queue>
#include <string>
#include <thread>

#include "content/vectors.h"

namespace reco::content {
namespace {

constexpr uint32_t kNoLabel = 0xFFFFFFFF;
constexpr size_t kInitialCapacity = 1024;

bool Better(const AnnHit& a, const AnnHit& b) {
  return a.score != b.score ? a.score > b.score : a.label < b.label;
}

}  // namespace

Status ValidateAnnOptions(const AnnOptions& options) {
  if (options.m < 2 || options.m > 100) {
    return InvalidArgument("content.hnsw_m must be in 2..100, got " + std::to_string(options.m),
                           "content.hnsw_m");
  }
  if (options.ef_construction < options.m || options.ef_construction > 10000) {
    return InvalidArgument("content.hnsw_ef_construction must be in content.hnsw_m..10000, got " +
                               std::to_string(options.ef_construction),
                           "content.hnsw_ef_construction");
  }
  if (options.ef_search < 1 || options.ef_search > 10000) {
    return InvalidArgument(
        "content.hnsw_ef_search must be in 1..10000, got " + std::to_string(options.ef_search),
        "content.hnsw_ef_search");
  }
  return Status::Ok();
}

AnnIndex::AnnIndex(size_t dimension, AnnOptions options)
    : dimension_(dimension),
      options_(options),
      space_(std::make_unique<hnswlib::InnerProductSpace>(dimension)),
      graph_(std::make_unique<hnswlib::HierarchicalNSW<float>>(
          space_.get(), kInitialCapacity, static_cast<size_t>(options.m),
          static_cast<size_t>(options.ef_construction), static_cast<size_t>(options.seed))),
      capacity_(kInitialCapacity) {
  graph_->setEf(static_cast<size_t>(options.ef_search));
}

AnnIndex::~AnnIndex() = default;

void AnnIndex::SetEfSearch(size_t ef) {
  std::unique_lock lock(mu_);
  graph_->setEf(std::max<size_t>(ef, 1));
}

size_t AnnIndex::size() const {
  std::shared_lock lock(mu_);
  return rows_.size();
}

void AnnIndex::ReserveLocked(size_t more) {
  const size_t need = graph_->cur_element_count + more;
  if (need <= capacity_) return;
  size_t next = capacity_;
  while (next < need) next *= 2;
  graph_->resizeIndex(next);
  capacity_ = next;
}

Status AnnIndex::UpsertLocked(uint32_t label, std::span<const float> unit) {
  auto it = rows_.find(label);
  uint32_t row = 0;
  if (it != rows_.end()) {
    row = it->second;
  } else if (!free_rows_.empty()) {
    row = free_rows_.back();
    free_rows_.pop_back();
  } else {
    row = static_cast<uint32_t>(row_labels_.size());
    row_labels_.push_back(kNoLabel);
    vectors_.resize(vectors_.size() + dimension_);
  }
  float* dst = vectors_.data() + static_cast<size_t>(row) * dimension_;
  std::copy(unit.begin(), unit.end(), dst);
  try {
    if (!graph_->label_lookup_.count(label)) ReserveLocked(1);
    graph_->addPoint(dst, label);
  } catch (const std::exception& e) {
    if (it == rows_.end()) free_rows_.push_back(row);
    return Internal(std::string("hnsw add failed: ") + e.what());
  }
  rows_[label] = row;
  row_labels_[row] = label;
  return Status::Ok();
}

Status AnnIndex::Upsert(uint32_t label, std::span<const float> vector) {
  RECO_RETURN_IF_ERROR(ValidateVector(vector, dimension_, "vector"));
  std::vector<float> unit(vector.begin(), vector.end());
  NormalizeInPlace(unit);
  std::unique_lock lock(mu_);
  return UpsertLocked(label, unit);
}

Status AnnIndex::AddBatch(std::span<const uint32_t> labels, std::span<const float> vectors,
                          int num_threads) {
  if (vectors.size() != labels.size() * dimension_) {
    return InvalidArgument("vectors: expected " + std::to_string(labels.size() * dimension_) +
                               " values, got " + std::to_string(vectors.size()),
                           "vectors");
  }
  std::unique_lock lock(mu_);
  const size_t first_row = row_labels_.size();
  for (size_t i = 0; i < labels.size(); ++i) {
    if (rows_.count(labels[i]) || graph_->label_lookup_.count(labels[i])) {
      return InvalidArgument("label " + std::to_string(labels[i]) + " is already in the index",
                             "labels");
    }
    RECO_RETURN_IF_ERROR(ValidateVector(vectors.subspan(i * dimension_, dimension_), dimension_,
                                        "vectors[" + std::to_string(i) + "]"));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!rows_.emplace(labels[i], static_cast<uint32_t>(first_row + i)).second) {
      for (size_t j = 0; j < i; ++j) rows_.erase(labels[j]);
      return InvalidArgument("label " + std::to_string(labels[i]) + " appears twice", "labels");
    }
  }
  row_labels_.insert(row_labels_.end(), labels.begin(), labels.end());
  vectors_.insert(vectors_.end(), vectors.begin(), vectors.end());
  for (size_t i = 0; i < labels.size(); ++i) {
    NormalizeInPlace(std::span<float>(vectors_.data() + (first_row + i) * dimension_, dimension_));
  }
  try {
    ReserveLocked(labels.size());
  } catch (const std::exception& e) {
    return ResourceExhausted(std::string("hnsw resize failed: ") + e.what());
  }
  // hnswlib inserts concurrently (per-node locks); the exclusive lock keeps searches out.
  const size_t threads = std::max<size_t>(
      1, std::min<size_t>(num_threads > 0 ? static_cast<size_t>(num_threads)
                                          : std::max(1u, std::thread::hardware_concurrency()),
                          labels.size() / 256 + 1));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mu;
  auto work = [&] {
    for (size_t i = next++; i < labels.size() && !failed; i = next++) {
      try {
        graph_->addPoint(vectors_.data() + (first_row + i) * dimension_, labels[i]);
      } catch (const std::exception& e) {
        std::lock_guard g(failure_mu);
        failure = e.what();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (failed) return Internal("hnsw add failed: " + failure);
  return Status::Ok();
}

namespace {

// An anonymous in-memory file: hnswlib saves and loads graphs by path only.
class MemFile {
 public:
  MemFile() : fd_(::memfd_create("reco-hnsw", MFD_CLOEXEC)) {}
  ~MemFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  bool ok() const { return fd_ >= 0; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  bool Write(std::string_view bytes) const {
    for (size_t done = 0; done < bytes.size();) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                                 static_cast<off_t>(done));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  bool Read(std::string& out) const {
    const off_t size = ::lseek(fd_, 0, SEEK_END);
    if (size < 0) return false;
    out.resize(static_cast<size_t>(size));
    for (size_t done = 0; done < out.size();) {
      const ssize_t n =
          ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(done));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

 private:
  int fd_;
};

}  // namespace

Result<std::string> AnnIndex::SaveGraph() const {
  MemFile file;
  if (!file.ok()) return Internal("memfd_create failed while saving the HNSW graph");
  std::shared_lock lock(mu_);
  try {
    graph_->saveIndex(file.path());
  } catch (const std::exception& e) {
    return Internal(std::string("saving the HNSW graph: ") + e.what());
  }
  std::string bytes;
  if (!file.Read(bytes)) return Internal("reading back the saved HNSW graph failed");
  return bytes;
}

Result<std::unique_ptr<AnnIndex>> AnnIndex::LoadGraph(
    size_t dimension, AnnOptions options, std::string_view bytes,
    const std::function<std::optional<uint32_t>(uint32_t)>& relabel) {
  MemFile file;
  if (!file.ok() || !file.Write(bytes)) return Internal("memfd write failed while loading");
  auto index = std::make_unique<AnnIndex>(dimension, options);
  auto& graph = index->graph_;
  try {
    graph = std::make_unique<hnswlib::HierarchicalNSW<float>>(index->space_.get(), file.path());
  } catch (const std::exception& e) {
    return DataLoss(std::string("the saved HNSW graph does not load: ") + e.what());
  }
  // hnswlib takes the vector size from the space, the layout from the file: they must agree.
  const size_t saved_bytes = graph->label_offset_ - graph->offsetData_;
  if (saved_bytes != dimension * sizeof(float)) {
    return DataLoss("the saved HNSW graph has vectors of " +
                    std::to_string(saved_bytes / sizeof(float)) + " dimensions, expected " +
                    std::to_string(dimension));
  }
  graph->setEf(static_cast<size_t>(options.ef_search));
  index->capacity_ = graph->max_elements_;
  // New labels; a dropped or repeated vector gets a label no caller uses (above 32 bits) and is
  // marked deleted.
  const size_t count = graph->cur_element_count;
  constexpr size_t kDropped = size_t{1} << 40;
  std::vector<bool> keep(count, false);
  graph->label_lookup_.clear();
  for (size_t i = 0; i < count; ++i) {
    const auto internal = static_cast<hnswlib::tableint>(i);
    std::optional<uint32_t> to;
    if (!graph->isMarkedDeleted(internal)) {
      const size_t old_label = graph->getExternalLabel(internal);
      if (old_label <= 0xFFFFFFFFu) to = relabel(static_cast<uint32_t>(old_label));
    }
    size_t label = kDropped + i;
    if (to && *to != kNoLabel && !graph->label_lookup_.count(*to)) {
      label = *to;
      keep[i] = true;
    }
    graph->setExternalLabel(internal, label);
    graph->label_lookup_[label] = internal;
  }
  for (size_t i = 0; i < count; ++i) {
    if (keep[i] || graph->isMarkedDeleted(static_cast<hnswlib::tableint>(i))) continue;
    graph->markDelete(kDropped + i);
  }
  for (size_t i = 0; i < count; ++i) {
    if (!keep[i]) continue;
    const auto internal = static_cast<hnswlib::tableint>(i);
    const uint32_t label = static_cast<uint32_t>(graph->getExternalLabel(internal));
    const auto* data = reinterpret_cast<const float*>(graph->getDataByInternalId(internal));
    index->rows_.emplace(label, static_cast<uint32_t>(index->row_labels_.size()));
    index->row_labels_.push_back(label);
    index->vectors_.insert(index->vectors_.end(), data, data + dimension);
  }
  return index;
}

bool AnnIndex::Remove(uint32_t label) {
  std::unique_lock lock(mu_);
  auto it = rows_.find(label);
  if (it == rows_.end()) return false;
  try {
    graph_->markDelete(label);
  } catch (const std::exception&) {
    // Not in the graph: nothing to hide.
  }
  row_labels_[it->second] = kNoLabel;
  free_rows_.push_back(it->second);
  rows_.erase(it);
  return true;
}

bool AnnIndex::Contains(uint32_t label) const {
  std::shared_lock lock(mu_);
  return rows_.count(label) != 0;
}

std::optional<std::vector<float>> AnnIndex::Vector(uint32_t label) const {
  std::shared_lock lock(mu_);
  auto it = rows_.find(label);
  if (it == rows_.end()) return std::nullopt;
  const float* row = vectors_.data() + static_cast<size_t>(it->second) * dimension_;
  return std::vector<float>(row, row + dimension_);
}

std::optional<std::vector<float>> AnnIndex::UnitQuery(std::span<const float> query,
                                                      size_t k) const {
  if (k == 0 || query.size() != dimension_) return std::nullopt;
  std::vector<float> unit(query.begin(), query.end());
  if (!NormalizeInPlace(unit)) return std::nullopt;
  return unit;
}

std::vector<AnnHit> AnnIndex::Search(std::span<const float> query, size_t k,
                                     const std::function<bool(uint32_t)>& accept) const {
  std::vector<AnnHit> out;
  std::optional<std::vector<float>> unit = UnitQuery(query, k);
  if (!unit) return out;
  std::shared_lock lock(mu_);
  const size_t live = rows_.size();
  if (live == 0) return out;
  size_t fetch = std::min(live, k * 2);
  while (true) {
    out.clear();
    std::priority_queue<std::pair<float, hnswlib::labeltype>> found;
    try {
      found = graph_->searchKnn(unit->data(), fetch);
    } catch (const std::exception&) {
      return {};
    }
    // The queue pops the largest distance first; distance = 1 − inner product.
    while (!found.empty()) {
      const auto [distance, label] = found.top();
      found.pop();
      const uint32_t l = static_cast<uint32_t>(label);
      if (!accept || accept(l)) out.push_back({l, 1.0f - distance});
    }
    if (out.size() >= k || fetch >= live) break;
    fetch = std::min(live, fetch * 4);
  }
  std::sort(out.begin(), out.end(), Better);
  if (out.size() > k) out.resize(k);
  return out;
}

std::vector<AnnHit> AnnIndex::ExactSearch(std::span<const float> query, size_t k,
                                          const std::function<bool(uint32_t)>& accept) const {
  std::vector<AnnHit> out;
  std::optional<std::vector<float>> unit = UnitQuery(query, k);
  if (!unit) return out;
  std::shared_lock lock(mu_);
  for (size_t row = 0; row < row_labels_.size(); ++row) {
    const uint32_t label = row_labels_[row];
    if (label == kNoLabel || (accept && !accept(label))) continue;
    const float* v = vectors_.data() + row * dimension_;
    float dot = 0;
    for (size_t j = 0; j < dimension_; ++j) dot += v[j] * (*unit)[j];
    out.push_back({label, dot});
  }
  const size_t keep = std::min(k, out.size());
  std::partial_sort(out.begin(), out.begin() + keep, out.end(), Better);
  out.resize(keep);
  return out;
}

}  // namespace reco::content
