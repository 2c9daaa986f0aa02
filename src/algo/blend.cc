#include "algo/blend.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

#include "core/file_util.h"
#include "core/threads.h"
#include "eval/evaluator.h"
#include "models/artifact.h"
#include "models/binary_io.h"

namespace reco::algo {
namespace {

constexpr std::string_view kBlendKind = "blend";
constexpr uint32_t kBlendPayloadVersion = 1;

// Per-thread scratch rows for one ScoreBatch call of a component.
std::vector<float>& Scratch(size_t size) {
  thread_local std::vector<float> buffer;
  if (buffer.size() < size) buffer.resize(size);
  return buffer;
}

template <typename M, typename S>
Result<std::unique_ptr<Scorer>> DecodeModel(const Artifact& artifact) {
  RECO_ASSIGN_OR_RETURN(M model, M::Deserialize(artifact.payload));
  return std::unique_ptr<Scorer>(std::make_unique<S>(std::move(model)));
}

Result<std::unique_ptr<Scorer>> DecodeComponent(const Artifact& artifact) {
  const std::string& kind = artifact.header.kind;
  if (kind == ItemCfModel::kKind) return DecodeModel<ItemCfModel, ItemCfScorer>(artifact);
  if (kind == Rp3betaModel::kKind) return DecodeModel<Rp3betaModel, Rp3betaScorer>(artifact);
  if (kind == EaseModel::kKind) return DecodeModel<EaseModel, EaseScorer>(artifact);
  if (kind == IalsModel::kKind) return DecodeModel<IalsModel, IalsScorer>(artifact);
  return Unimplemented("a blend component of kind \"" + kind + "\" cannot be loaded");
}

}  // namespace

std::string_view BlendNormalizeName(BlendNormalize n) {
  return n == BlendNormalize::kMax ? "max" : "none";
}

Result<BlendNormalize> ParseBlendNormalize(std::string_view name) {
  if (name == "max") return BlendNormalize::kMax;
  if (name == "none") return BlendNormalize::kNone;
  return InvalidArgument("blend.normalize \"" + std::string(name) + "\" (accepted: max, none)",
                         "blend.normalize");
}

void NormalizeRow(BlendNormalize normalize, std::span<const uint32_t> history,
                  std::span<float> row) {
  if (normalize == BlendNormalize::kNone || row.empty()) return;
  float max = -std::numeric_limits<float>::infinity();
  size_t h = 0;  // history is ascending: skip its items while scanning
  for (size_t i = 0; i < row.size(); ++i) {
    if (h < history.size() && history[h] == i) {
      while (h < history.size() && history[h] == i) ++h;
      continue;
    }
    if (row[i] > max) max = row[i];
  }
  if (!(max > 0) || !std::isfinite(max)) return;
  const float inv = 1.0f / max;
  for (float& v : row) v *= inv;
}

void BlendScorer::Score(uint32_t user, std::span<const uint32_t> history,
                        std::span<float> scores) const {
  const uint32_t users[1] = {user};
  const std::span<const uint32_t> histories[1] = {history};
  ScoreBatch(users, histories, scores);
}

void BlendScorer::ScoreBatch(std::span<const uint32_t> users,
                             std::span<const std::span<const uint32_t>> histories,
                             std::span<float> scores) const {
  std::fill(scores.begin(), scores.end(), 0.0f);
  if (users.empty()) return;
  const size_t n = scores.size() / users.size();
  std::vector<float>& tmp = Scratch(scores.size());
  std::span<float> rows(tmp.data(), scores.size());
  for (const BlendComponent& c : components_) {
    if (c.weight == 0) continue;
    c.scorer->ScoreBatch(users, histories, rows);
    const auto w = static_cast<float>(c.weight);
    for (size_t r = 0; r < users.size(); ++r) {
      std::span<float> row = rows.subspan(r * n, n);
      NormalizeRow(normalize_, histories[r], row);
      float* out = scores.data() + r * n;
      for (size_t i = 0; i < n; ++i) out[i] += w * row[i];
    }
  }
}

Status BlendScorer::Save(const std::filesystem::path& path, TimestampUs created) const {
  std::vector<std::string> names;
  std::vector<uint64_t> sizes;
  std::string models;
  for (size_t i = 0; i < components_.size(); ++i) {
    const std::filesystem::path part = path.string() + ".component" + std::to_string(i) + ".tmp";
    Status st = components_[i].scorer->Save(part, created);
    if (!st.ok()) {
      std::filesystem::remove(part);
      return st.WithPrefix("blend component " + components_[i].algo);
    }
    Result<std::string> bytes = ReadFile(part);
    std::filesystem::remove(part);
    if (!bytes.ok()) return bytes.status();
    names.push_back(components_[i].algo);
    sizes.push_back(bytes->size());
    models += *bytes;
  }
  BinaryWriter w;
  w.U32(kBlendPayloadVersion);
  w.String(BlendNormalizeName(normalize_));
  w.StringArray(names);
  for (const BlendComponent& c : components_) w.F64(c.weight);
  w.U64Array(sizes);
  std::string payload = w.Take() + models;
  ArtifactHeader header;
  header.kind = std::string(kBlendKind);
  header.created = created;
  return WriteArtifact(path, header, payload);
}

Result<std::unique_ptr<BlendScorer>> LoadBlend(const std::filesystem::path& path) {
  RECO_ASSIGN_OR_RETURN(Artifact artifact, ReadArtifact(path));
  const std::string name = "model file " + path.string();
  if (artifact.header.kind != kBlendKind) {
    return DataLoss(name + ": holds a \"" + artifact.header.kind + "\" model, expected \"blend\"");
  }
  BinaryReader r(artifact.payload, name + " (blend payload)");
  uint32_t version = 0;
  std::string normalize_name;
  std::vector<std::string> names;
  RECO_RETURN_IF_ERROR(r.U32(version));
  if (version != kBlendPayloadVersion) return r.Corrupt("unsupported blend payload version");
  RECO_RETURN_IF_ERROR(r.String(normalize_name));
  RECO_RETURN_IF_ERROR(r.StringArray(names));
  std::vector<double> weights(names.size());
  for (double& weight : weights) RECO_RETURN_IF_ERROR(r.F64(weight));
  std::vector<uint64_t> sizes;
  RECO_RETURN_IF_ERROR(r.U64Array(sizes));
  if (sizes.size() != names.size()) return r.Corrupt("component count mismatch");
  Result<BlendNormalize> normalize = ParseBlendNormalize(normalize_name);
  if (!normalize.ok()) return r.Corrupt("unknown normalisation \"" + normalize_name + "\"");
  size_t pos = r.position();
  std::vector<BlendComponent> components;
  for (size_t i = 0; i < names.size(); ++i) {
    if (sizes[i] > artifact.payload.size() - pos) return r.Corrupt("truncated component");
    std::string_view bytes = std::string_view(artifact.payload).substr(pos, sizes[i]);
    pos += sizes[i];
    RECO_ASSIGN_OR_RETURN(Artifact part, DecodeArtifact(bytes, name + " component " + names[i]));
    Result<std::unique_ptr<Scorer>> scorer = DecodeComponent(part);
    if (!scorer.ok()) return scorer.status().WithPrefix(name);
    components.push_back({names[i], weights[i], std::move(scorer).value()});
  }
  if (pos != artifact.payload.size()) return r.Corrupt("trailing bytes after the components");
  return std::make_unique<BlendScorer>(std::move(components), *normalize);
}

}  // namespace reco::algo
