// Shared plumbing of the models: ModelInfo (where a model came from) and SaveModel/LoadModel,
// which wrap a model's Serialize/Deserialize payload in an artifact file (models/artifact.h).
//
// A model type M provides: static constexpr std::string_view kKind; std::string Serialize() const;
// static Result<M> Deserialize(std::string_view); const ModelInfo& info() const;
// void set_info(ModelInfo). Thread-safety: as the artifact functions.
#pragma once

#include <filesystem>
#include <string>

#include "core/status.h"
#include "core/time.h"
#include "models/artifact.h"

namespace reco {

// Set by Fit (snapshot_id only) and by LoadModelFile (all fields, from the file header).
struct ModelInfo {
  std::string snapshot_id;     // the dataset the model was fitted on
  TimestampUs created = 0;     // creation time recorded in the file
  std::string code_version;    // build that wrote the file
  std::filesystem::path file;  // the file it was loaded from
};

// Writes `model` atomically to `path` with the given creation time.
template <typename M>
Status SaveModel(const M& model, const std::filesystem::path& path, TimestampUs created) {
  ArtifactHeader header;
  header.kind = std::string(M::kKind);
  header.created = created;
  header.snapshot_id = model.info().snapshot_id;
  return WriteArtifact(path, header, model.Serialize());
}

// Reads, verifies and decodes a model file of kind M::kKind (DataLoss for another kind).
template <typename M>
Result<M> LoadModelFile(const std::filesystem::path& path) {
  RECO_ASSIGN_OR_RETURN(Artifact artifact, ReadArtifact(path));
  if (artifact.header.kind != M::kKind) {
    return DataLoss("model file " + path.string() + ": holds a \"" + artifact.header.kind +
                    "\" model, expected \"" + std::string(M::kKind) + "\"");
  }
  Result<M> model = M::Deserialize(artifact.payload);
  if (!model.ok()) return model.status().WithPrefix("model file " + path.string());
  model->set_info(ModelInfo{artifact.header.snapshot_id, artifact.header.created,
                            artifact.header.code_version, path});
  return model;
}

}  // namespace reco
