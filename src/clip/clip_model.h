// ClipModel: CLIP's image and text encoders (ViT-B/32 and the other CLIP shapes of the Hugging
// Face layout) computed with Eigen, from a local model folder; nothing is downloaded.
//
// The folder (docs/clip.md): config.json, model.safetensors (Hugging Face's tensor names),
// vocab.json + merges.txt (text), preprocessor_config.json (images). Load() reads the files the
// requested towers need and fails, before any work, with an error naming the missing file or
// tensor (NotFound) or the file and key or tensor that is wrong (InvalidArgument / DataLoss).
//
// Numerics follow transformers' CLIPModel: pre-norm transformer blocks, multi-head attention,
// quick_gelu MLPs; the image embedding is the projected, layer-normed class token, the text
// embedding the projected final-layer-normed state at the end token (the largest token id, as
// Hugging Face picks it). Embed*() return L2-normalised vectors of projection_dim floats.
//
// Thread-safety: immutable after Load(); every const method may be called from many threads at
// once (each call uses its own scratch memory). Work is single-threaded per call; callers run
// images in parallel (clip/embed_job.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clip/clip_config.h"
#include "clip/image.h"
#include "clip/tokenizer.h"
#include "core/status.h"

namespace reco::clip {

struct ClipLoadOptions {
  bool vision = true;  // load the image encoder (preprocessor_config.json and vision_model.*)
  bool text = true;    // load the text encoder (vocab.json, merges.txt and text_model.*)
};

// A tensor by Hugging Face name, checked against `shape` (row-major floats). How weights reach
// FromTensors(): from model.safetensors in Load(), from a generator in tests and benchmarks.
using TensorSource = std::function<Result<std::vector<float>>(const std::string& name,
                                                              std::span<const int64_t> shape)>;

class ClipModel {
 public:
  ~ClipModel();

  // The model folder `dir` (CLIP_MODEL_PATH). Errors name the file or tensor.
  static Result<std::unique_ptr<ClipModel>> Load(const std::filesystem::path& dir,
                                                 const ClipLoadOptions& options = {});

  // A model from `config` and weights from `tensors`; `tokenizer` is required for the text
  // tower's EmbedText() (EncodeTokens() works without one).
  static Result<std::unique_ptr<ClipModel>> FromTensors(const ClipConfig& config,
                                                        const TensorSource& tensors,
                                                        const ClipLoadOptions& options,
                                                        std::optional<ClipTokenizer> tokenizer);

  const ClipConfig& config() const { return config_; }
  int embedding_dim() const { return config_.projection_dim; }
  bool has_vision() const;
  bool has_text() const;
  const ClipTokenizer* tokenizer() const { return tokenizer_ ? &*tokenizer_ : nullptr; }
  float logit_scale() const { return logit_scale_; }

  // The image embeddings of `count` preprocessed images: `pixels` holds count * 3 * S * S floats
  // (S = vision_config.image_size), each image channels first, as CLIPImageProcessor's
  // pixel_values. Returns count * projection_dim floats, row-major; L2-normalised when
  // `normalize`. Images of one call share the matrix products (faster than one at a time).
  Result<std::vector<float>> EncodeImages(std::span<const float> pixels, size_t count,
                                          bool normalize = true) const;

  // The text embedding of token ids (with the start and end tokens, at most
  // max_position_embeddings of them, each below vocab_size).
  Result<std::vector<float>> EncodeTokens(std::span<const int32_t> ids,
                                          bool normalize = true) const;

  // Decode (JPEG/PNG), preprocess, encode: the normalised embedding of an image file.
  Result<std::vector<float>> EmbedImageFile(const std::filesystem::path& path) const;
  Result<std::vector<float>> EmbedImage(const RgbImage& image) const;
  // Tokenize (truncated to max_position_embeddings) and encode: the normalised text embedding.
  Result<std::vector<float>> EmbedText(std::string_view text) const;

 private:
  struct Weights;
  ClipModel();
  ClipConfig config_;
  std::optional<ClipTokenizer> tokenizer_;
  std::unique_ptr<Weights> weights_;
  float logit_scale_ = 0.0f;
};

// The files of `dir` that `options` needs and that are missing ("" when none is): the error
// message Load() gives, for callers that want to check early.
std::string MissingModelFile(const std::filesystem::path& dir, const ClipLoadOptions& options);

// Scales `v` to unit L2 norm (unchanged when it is all zeros).
void NormalizeL2(std::span<float> v);

}  // namespace reco::clip
