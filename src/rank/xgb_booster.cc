#include "rank/xgb_booster.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <limits>

namespace reco::rank {
namespace {

// Turns an XGBoost return code into a Status naming the call and XGBoost's own message.
Status Check(int rc, std::string_view call) {
  if (rc == 0) return Status::Ok();
  const char* err = XGBGetLastError();
  return Internal("xgboost " + std::string(call) + ": " + (err != nullptr ? err : "unknown error"));
}

}  // namespace

void XgbMatrix::Free::operator()(void* h) const {
  if (h != nullptr) XGDMatrixFree(static_cast<DMatrixHandle>(h));
}

void XgbBooster::Free::operator()(void* h) const {
  if (h != nullptr) XGBoosterFree(static_cast<BoosterHandle>(h));
}

Result<XgbMatrix> XgbMatrix::FromDense(std::span<const float> values, size_t rows, size_t cols) {
  if (values.size() != rows * cols) {
    return InvalidArgument("xgboost matrix: " + std::to_string(values.size()) + " values for " +
                           std::to_string(rows) + " x " + std::to_string(cols));
  }
  DMatrixHandle h = nullptr;
  RECO_RETURN_IF_ERROR(Check(XGDMatrixCreateFromMat(values.data(), rows, cols,
                                                    std::numeric_limits<float>::quiet_NaN(), &h),
                             "XGDMatrixCreateFromMat"));
  XgbMatrix m;
  m.handle_.reset(h);
  m.rows_ = rows;
  m.cols_ = cols;
  return m;
}

Status XgbMatrix::SetLabels(std::span<const float> labels) {
  if (labels.size() != rows_) {
    return InvalidArgument("xgboost labels: " + std::to_string(labels.size()) + " for " +
                           std::to_string(rows_) + " rows");
  }
  return Check(XGDMatrixSetFloatInfo(handle_.get(), "label", labels.data(), labels.size()),
               "XGDMatrixSetFloatInfo(label)");
}

Status XgbMatrix::SetGroups(std::span<const uint32_t> group_sizes) {
  uint64_t total = 0;
  for (uint32_t g : group_sizes) total += g;
  if (total != rows_) {
    return InvalidArgument("xgboost groups: sizes sum to " + std::to_string(total) + ", not " +
                           std::to_string(rows_) + " rows");
  }
  std::vector<unsigned> sizes(group_sizes.begin(), group_sizes.end());
  return Check(XGDMatrixSetUIntInfo(handle_.get(), "group", sizes.data(), sizes.size()),
               "XGDMatrixSetUIntInfo(group)");
}

Result<XgbBooster> XgbBooster::Create(const XgbMatrix& train) {
  DMatrixHandle cache[1] = {train.handle()};
  BoosterHandle h = nullptr;
  RECO_RETURN_IF_ERROR(Check(XGBoosterCreate(cache, 1, &h), "XGBoosterCreate"));
  XgbBooster b;
  b.handle_.reset(h);
  return b;
}

Result<XgbBooster> XgbBooster::LoadFromBuffer(std::string_view bytes) {
  BoosterHandle h = nullptr;
  RECO_RETURN_IF_ERROR(Check(XGBoosterCreate(nullptr, 0, &h), "XGBoosterCreate"));
  XgbBooster b;
  b.handle_.reset(h);
  RECO_RETURN_IF_ERROR(Check(XGBoosterLoadModelFromBuffer(h, bytes.data(), bytes.size()),
                             "XGBoosterLoadModelFromBuffer"));
  return b;
}

Status XgbBooster::SetParam(std::string_view name, std::string_view value) {
  const std::string n(name);
  const std::string v(value);
  return Check(XGBoosterSetParam(handle_.get(), n.c_str(), v.c_str()),
               "XGBoosterSetParam(" + n + "=" + v + ")");
}

Status XgbBooster::UpdateOneIter(int iteration, const XgbMatrix& train) {
  return Check(XGBoosterUpdateOneIter(handle_.get(), iteration, train.handle()),
               "XGBoosterUpdateOneIter");
}

Result<std::vector<float>> XgbBooster::Predict(const XgbMatrix& data) const {
  std::lock_guard<std::mutex> lock(*mu_);
  bst_ulong len = 0;
  const float* out = nullptr;
  RECO_RETURN_IF_ERROR(Check(XGBoosterPredict(handle_.get(), data.handle(), 0, 0, 0, &len, &out),
                             "XGBoosterPredict"));
  if (len != data.rows()) {
    return Internal("xgboost XGBoosterPredict: " + std::to_string(len) + " predictions for " +
                    std::to_string(data.rows()) + " rows");
  }
  return std::vector<float>(out, out + len);
}

Result<uint64_t> XgbBooster::NumFeatures() const {
  bst_ulong n = 0;
  RECO_RETURN_IF_ERROR(Check(XGBoosterGetNumFeature(handle_.get(), &n), "XGBoosterGetNumFeature"));
  return static_cast<uint64_t>(n);
}

Result<std::string> XgbBooster::SaveToBuffer() const {
  std::lock_guard<std::mutex> lock(*mu_);
  bst_ulong len = 0;
  const char* out = nullptr;
  RECO_RETURN_IF_ERROR(
      Check(XGBoosterSaveModelToBuffer(handle_.get(), R"({"format":"ubj"})", &len, &out),
            "XGBoosterSaveModelToBuffer"));
  return std::string(out, len);
}

}  // namespace reco::rank
