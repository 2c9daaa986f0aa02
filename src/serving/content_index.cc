#include "serving/content_index.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "content/text_features.h"
#include "content/vectors.h"
#include "models/model_files.h"
#include "registry/model_registry.h"

namespace reco {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Vectors of one kind collected by a rebuild's scan, added to a fresh index in one batch.
struct Batch {
  std::vector<uint32_t> labels;
  std::vector<float> data;
};

// The newest textvec file of `models_dir` that loads; null (and the reason in `problem`) when
// none does. No file at all is no problem.
std::shared_ptr<const content::TextEmbedder> NewestTextModel(const std::filesystem::path& dir,
                                                             std::filesystem::path& path,
                                                             Status& problem) {
  Result<std::vector<ModelFile>> files = ListModelFiles(dir);
  if (!files.ok()) {
    problem = files.status();
    return nullptr;
  }
  for (const ModelFile& file : *files) {
    if (file.kind != content::TextEmbedder::kKind) continue;
    Result<content::TextEmbedder> model = content::TextEmbedder::Load(file.path);
    if (model.ok()) {
      path = file.path;
      return std::make_shared<const content::TextEmbedder>(std::move(model).value());
    }
    problem = model.status();
    spdlog::warn("event=content_model_rejected file={} reason=\"{}\"", file.path.string(),
                 model.status().ToString());
  }
  return nullptr;
}

// True when `a` and `b` are the same unit vector (up to float noise).
bool SameVector(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::abs(a[i] - b[i]) > 1e-5f) return false;
  }
  return true;
}

}  // namespace

ContentOptions ContentOptionsFrom(const ContentConfig& config) {
  ContentOptions o;
  o.text_embedder = config.text_embedder;
  o.supplied_label = config.supplied_label;
  o.supplied_dimension = config.supplied_dimension;
  o.clip_label = config.clip_label;
  o.ann = {.m = config.hnsw_m,
           .ef_construction = config.hnsw_ef_construction,
           .ef_search = config.hnsw_ef_search};
  return o;
}

Result<NeighborSource> ParseNeighborSource(std::string_view text) {
  static constexpr std::pair<std::string_view, NeighborSource> kNames[] = {
      {"auto", NeighborSource::kAuto},         {"collaborative", NeighborSource::kCollaborative},
      {"content", NeighborSource::kContent},   {"text", NeighborSource::kText},
      {"supplied", NeighborSource::kSupplied}, {"clip", NeighborSource::kClip}};
  if (text.empty()) return NeighborSource::kAuto;
  for (const auto& [name, source] : kNames) {
    if (name == text) return source;
  }
  return InvalidArgument(
      "source must be auto, collaborative, content, text, supplied or clip, got \"" +
          std::string(text.substr(0, 40)) + "\"",
      "source");
}

ContentIndexes::ContentIndexes(Store& store, OnlineState& state, const Clock& clock,
                               ContentOptions options)
    : store_(store), state_(state), clock_(clock), options_(std::move(options)) {
  label_kinds_ = {
      LabelKind{content::kKindSupplied, options_.supplied_label,
                static_cast<size_t>(std::max(options_.supplied_dimension, 0))},
      LabelKind{content::kKindClip, options_.clip_label, 0}};
  for (size_t k = 0; k < kLabelKinds; ++k) label_dimensions_[k] = label_kinds_[k].fixed_dimension;
}

Status ContentIndexes::Reload(const std::filesystem::path& data_dir, std::string_view run_id) {
  if (!options_.text_embedder) return Install(nullptr);
  std::filesystem::path path;
  std::shared_ptr<const content::TextEmbedder> model;
  Status problem;
  if (!run_id.empty()) {
    registry::ModelRegistry reg(data_dir, clock_);
    Result<registry::ModelVersion> version = reg.Get(run_id);
    if (!version.ok()) {
      problem = version.status();
    } else {
      for (const registry::RunArtifact& a : version->artifacts) {
        if (a.kind != content::TextEmbedder::kKind) continue;
        path = reg.ArtifactPath(a);
        // The registry verified the file's sha256; the artifact verifies its payload's again.
        Result<content::TextEmbedder> loaded = content::TextEmbedder::Load(path);
        if (loaded.ok()) {
          model = std::make_shared<const content::TextEmbedder>(std::move(loaded).value());
        } else {
          problem = loaded.status();
        }
      }
    }
  } else {
    model = NewestTextModel(data_dir / "models", path, problem);
  }
  Status installed = Install(model, model ? path : std::filesystem::path());
  if (!problem.ok()) {
    return problem.WithPrefix(
        "text model of version " +
        (run_id.empty() ? std::string("(newest files)") : std::string(run_id)) +
        " not loaded, serving without text vectors");
  }
  return installed;
}

Status ContentIndexes::Rebuild() {
  std::shared_ptr<const content::TextEmbedder> model;
  std::string path;
  {
    std::shared_lock lock(mu_);
    model = text_model_;
    path = text_model_path_;
  }
  return Install(std::move(model), path);
}

Status ContentIndexes::Install(std::shared_ptr<const content::TextEmbedder> model,
                               std::filesystem::path model_path) {
  std::lock_guard rebuild_lock(rebuild_mu_);
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(write_mu_);
    rebuilding_ = true;
    pending_.clear();
  }
  std::array<size_t, kLabelKinds> dims;
  std::array<Batch, kLabelKinds> labelled;
  std::array<size_t, kLabelKinds> mismatched{}, malformed{};
  for (size_t k = 0; k < kLabelKinds; ++k) dims[k] = label_kinds_[k].fixed_dimension;
  Batch text;
  // The graph saved with the text model (built by the training over the same vectors), when it
  // was built with this server's m and ef_construction: only items whose text vector changed
  // since are added again (text), and those that lost theirs removed (stale).
  std::shared_ptr<content::AnnIndex> saved;
  std::vector<uint32_t> stale;
  if (model != nullptr && !model->graph().empty() &&
      model->graph_options().m == options_.ann.m &&
      model->graph_options().ef_construction == options_.ann.ef_construction) {
    const std::vector<std::string>& items = model->graph_items();
    Result<std::unique_ptr<content::AnnIndex>> loaded = content::AnnIndex::LoadGraph(
        model->dimension(), options_.ann, model->graph(),
        [&](uint32_t label) -> std::optional<uint32_t> {
          if (label >= items.size()) return std::nullopt;
          return state_.FindItem(items[label]);
        });
    if (loaded.ok()) {
      saved = std::move(loaded).value();
    } else {
      spdlog::warn("event=content_saved_graph_rejected model={} reason=\"{}\"",
                   model_path.string(), loaded.status().ToString());
    }
  }
  Status scanned = store_.ScanItems([&](const Item& item) {
    std::optional<uint32_t> label = state_.FindItem(item.item_id);
    if (!label) return;
    for (size_t k = 0; k < kLabelKinds; ++k) {
      Result<std::optional<std::vector<float>>> vector =
          content::SuppliedVector(item.labels_json, label_kinds_[k].label, 0, "Labels");
      if (!vector.ok()) {
        ++malformed[k];
      } else if (vector->has_value()) {
        if (dims[k] == 0) dims[k] = (*vector)->size();
        if ((*vector)->size() != dims[k]) {
          ++mismatched[k];
        } else {
          labelled[k].labels.push_back(*label);
          labelled[k].data.insert(labelled[k].data.end(), (*vector)->begin(), (*vector)->end());
        }
      }
    }
    if (model != nullptr) {
      std::vector<float> v = model->Embed(content::ItemText(item, options_.supplied_label));
      if (saved != nullptr) {
        std::optional<std::vector<float>> before = saved->Vector(*label);
        if (v.empty()) {
          if (before) stale.push_back(*label);
          return;
        }
        if (before && SameVector(*before, v)) return;
      }
      if (!v.empty()) {
        text.labels.push_back(*label);
        text.data.insert(text.data.end(), v.begin(), v.end());
      }
    }
  });
  Indexes fresh;
  Status built = scanned;
  const bool from_saved = saved != nullptr;
  if (built.ok() && saved != nullptr) {
    for (uint32_t label : stale) saved->Remove(label);
    const size_t dim = model->dimension();
    for (size_t i = 0; i < text.labels.size() && built.ok(); ++i) {
      built = saved->Upsert(text.labels[i], std::span<const float>(text.data).subspan(i * dim, dim));
    }
    spdlog::info("event=content_saved_graph_loaded vectors={} updated={} removed={}",
                 saved->size(), text.labels.size(), stale.size());
    fresh.emplace(content::kKindText, std::move(saved));
  } else if (built.ok() && model != nullptr) {
    auto index = std::make_shared<content::AnnIndex>(model->dimension(), options_.ann);
    built = index->AddBatch(text.labels, text.data, options_.num_threads);
    fresh.emplace(content::kKindText, std::move(index));
  }
  for (size_t k = 0; k < kLabelKinds && built.ok(); ++k) {
    if (dims[k] == 0) continue;
    auto index = std::make_shared<content::AnnIndex>(dims[k], options_.ann);
    built = index->AddBatch(labelled[k].labels, labelled[k].data, options_.num_threads);
    fresh.emplace(label_kinds_[k].kind, std::move(index));
  }
  std::lock_guard lock(write_mu_);
  rebuilding_ = false;
  if (!built.ok()) {
    pending_.clear();
    return built.WithPrefix("rebuilding the content indexes");
  }
  const auto text_index = fresh.find(content::kKindText);
  const size_t text_vectors = text_index == fresh.end() ? 0 : text_index->second->size();
  {
    std::unique_lock swap(mu_);
    indexes_ = std::move(fresh);
    text_model_ = std::move(model);
    text_model_path_ = model_path.string();
    for (size_t k = 0; k < kLabelKinds; ++k) label_dimensions_[k] = dims[k];
    rebuild_seconds_ = SecondsSince(start);
    text_index_ = text_vectors == 0 && !from_saved ? "" : from_saved ? "saved" : "built";
  }
  for (const std::string& id : pending_) ApplyLocked(id);
  pending_.clear();
  for (size_t k = 0; k < kLabelKinds; ++k) {
    if (mismatched[k] + malformed[k] == 0) continue;
    spdlog::warn("event=content_{}_vectors_skipped label={} mismatched={} malformed={} dimension={}",
                 label_kinds_[k].kind, label_kinds_[k].label, mismatched[k], malformed[k], dims[k]);
  }
  spdlog::info(
      "event=content_indexes_built text_vectors={} supplied_vectors={} clip_vectors={} "
      "seconds={:.3f}",
      text_vectors, labelled[0].labels.size(), labelled[1].labels.size(), SecondsSince(start));
  return Status::Ok();
}

Status ContentIndexes::CheckSuppliedVector(std::span<const float> vector,
                                           std::string_view field) const {
  return content::ValidateVector(vector, label_dimensions_[0].load(), field);
}

Status ContentIndexes::CheckItems(std::span<const Item> items) const {
  for (size_t k = 0; k < kLabelKinds; ++k) {
    // A batch that starts an empty set must agree with itself.
    size_t batch_dim = label_dimensions_[k].load();
    for (size_t i = 0; i < items.size(); ++i) {
      std::string field = "Labels." + label_kinds_[k].label;
      if (items.size() > 1) field = "[" + std::to_string(i) + "]." + field;
      Result<std::optional<std::vector<float>>> vector = content::SuppliedVector(
          items[i].labels_json, label_kinds_[k].label, batch_dim, field);
      if (!vector.ok()) return vector.status();
      if (vector->has_value() && batch_dim == 0) batch_dim = (*vector)->size();
    }
  }
  return Status::Ok();
}

void ContentIndexes::ApplyItem(const Item& item, uint32_t label, const content::TextEmbedder* model,
                               Indexes& indexes) {
  auto upsert = [&](std::string_view kind, const std::vector<float>& v) {
    auto it = indexes.find(kind);
    if (it == indexes.end()) {
      it = indexes
               .emplace(std::string(kind),
                        std::make_shared<content::AnnIndex>(v.size(), options_.ann))
               .first;
    }
    if (Status st = it->second->Upsert(label, v); !st.ok()) {
      spdlog::warn("event=content_vector_rejected item={} kind={} reason=\"{}\"", item.item_id,
                   kind, st.ToString());
    }
  };
  auto remove = [&](std::string_view kind) {
    if (auto it = indexes.find(kind); it != indexes.end()) it->second->Remove(label);
  };
  for (size_t k = 0; k < kLabelKinds; ++k) {
    Result<std::optional<std::vector<float>>> vector = content::SuppliedVector(
        item.labels_json, label_kinds_[k].label, label_dimensions_[k].load(), "Labels");
    if (vector.ok() && vector->has_value()) {
      size_t expected = 0;
      label_dimensions_[k].compare_exchange_strong(expected, (*vector)->size());
      upsert(label_kinds_[k].kind, **vector);
    } else {
      remove(label_kinds_[k].kind);
    }
  }
  if (model != nullptr) {
    std::vector<float> v = model->Embed(content::ItemText(item, options_.supplied_label));
    if (v.empty()) {
      remove(content::kKindText);
    } else {
      upsert(content::kKindText, v);
    }
  }
}

void ContentIndexes::ApplyLocked(std::string_view item_id) {
  Result<Item> item = store_.GetItem(item_id);
  if (!item.ok() && item.status().code() != StatusCode::kNotFound) {
    spdlog::warn("event=content_item_unreadable item={} reason=\"{}\"", item_id,
                 item.status().ToString());
    return;
  }
  if (!item.ok()) {
    // Deleted (FindItem no longer gives a deleted item's index; its index is kept, not reused).
    const uint32_t label = state_.FindOrAddItem(item_id);
    std::unique_lock lock(mu_);
    for (auto& [kind, index] : indexes_) index->Remove(label);
    return;
  }
  std::optional<uint32_t> label = state_.FindItem(item_id);
  if (!label) return;
  std::unique_lock lock(mu_);
  ApplyItem(*item, *label, text_model_.get(), indexes_);
}

void ContentIndexes::ItemsWritten(std::span<const Item> items) {
  std::lock_guard write(write_mu_);
  for (const Item& item : items) {
    std::optional<uint32_t> label = state_.FindItem(item.item_id);
    if (!label) continue;
    {
      std::unique_lock lock(mu_);
      ApplyItem(item, *label, text_model_.get(), indexes_);
    }
    if (rebuilding_) pending_.push_back(item.item_id);
  }
}

void ContentIndexes::ItemChanged(std::string_view item_id) {
  std::lock_guard write(write_mu_);
  ApplyLocked(item_id);
  if (rebuilding_) pending_.emplace_back(item_id);
}

void ContentIndexes::ItemDeleted(std::string_view item_id) { ItemChanged(item_id); }

std::shared_ptr<content::AnnIndex> ContentIndexes::Index(std::string_view kind) const {
  std::shared_lock lock(mu_);
  auto it = indexes_.find(kind);
  return it == indexes_.end() ? nullptr : it->second;
}

bool ContentIndexes::HasVector(std::string_view kind, uint32_t item) const {
  std::shared_ptr<content::AnnIndex> index = Index(kind);
  return index != nullptr && index->Contains(item);
}

std::optional<std::vector<float>> ContentIndexes::Vector(std::string_view kind,
                                                         uint32_t item) const {
  std::shared_ptr<content::AnnIndex> index = Index(kind);
  if (index == nullptr) return std::nullopt;
  return index->Vector(item);
}

std::vector<ScoredIndex> ContentIndexes::Search(std::string_view kind, std::span<const float> query,
                                                size_t k,
                                                const std::function<bool(uint32_t)>& accept) const {
  std::vector<ScoredIndex> out;
  std::shared_ptr<content::AnnIndex> index = Index(kind);
  if (index == nullptr || query.size() != index->dimension()) return out;
  for (const content::AnnHit& hit : index->Search(query, k, accept)) {
    out.push_back({hit.label, hit.score});
  }
  return out;
}

Result<RecommendResult> ContentIndexes::Similar(std::string_view item_id, std::string_view category,
                                                int n, int offset, std::string_view kind,
                                                std::string* kind_used) const {
  auto view = state_.View(category);
  std::optional<uint32_t> item = view.Find(item_id);
  if (!item) return NotFound("item " + std::string(item_id) + " not found");
  if (kind.empty()) {
    kind = HasVector(content::kKindSupplied, *item) ? content::kKindSupplied
           : HasVector(content::kKindClip, *item)   ? content::kKindClip
                                                    : content::kKindText;
  }
  if (kind_used != nullptr) *kind_used = std::string(kind);
  RecommendResult result;
  std::shared_ptr<content::AnnIndex> index = Index(kind);
  std::optional<std::vector<float>> query;
  if (index != nullptr) query = index->Vector(*item);
  if (!query) {
    result.degraded.push_back("content_vector_missing");
    return result;
  }
  const size_t want =
      static_cast<size_t>(std::max(offset, 0)) + static_cast<size_t>(std::max(n, 0));
  const uint32_t self = *item;
  const std::vector<content::AnnHit> hits = index->Search(
      *query, want, [&](uint32_t label) { return label != self && view.IsRecommendable(label); });
  for (size_t i = static_cast<size_t>(std::max(offset, 0)); i < hits.size(); ++i) {
    result.items.push_back({view.ItemId(hits[i].label), hits[i].score});
  }
  return result;
}

ContentStats ContentIndexes::Stats() const {
  std::shared_lock lock(mu_);
  ContentStats stats;
  stats.text_model = text_model_path_;
  if (auto it = indexes_.find(content::kKindText); it != indexes_.end()) {
    stats.text_vectors = it->second->size();
  }
  if (auto it = indexes_.find(content::kKindSupplied); it != indexes_.end()) {
    stats.supplied_vectors = it->second->size();
  }
  if (auto it = indexes_.find(content::kKindClip); it != indexes_.end()) {
    stats.clip_vectors = it->second->size();
  }
  stats.supplied_dimension = label_dimensions_[0].load();
  stats.clip_dimension = label_dimensions_[1].load();
  stats.rebuild_seconds = rebuild_seconds_;
  stats.text_index = text_index_;
  return stats;
}

}  // namespace reco
