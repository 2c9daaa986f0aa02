// The configuration of a CLIP model in the Hugging Face folder layout: config.json (the text and
// vision towers) and preprocessor_config.json (how an image becomes the vision tower's input).
// A key that is absent takes Hugging Face's default, which is ViT-B/32's value; the weights'
// shapes are checked against the result when the model loads (clip/clip_model.h).
//
// Thread-safety: plain values.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/status.h"

namespace reco::clip {

// The file names of the layout (docs/clip.md).
inline constexpr std::string_view kConfigFile = "config.json";
inline constexpr std::string_view kWeightsFile = "model.safetensors";
inline constexpr std::string_view kVocabFile = "vocab.json";
inline constexpr std::string_view kMergesFile = "merges.txt";
inline constexpr std::string_view kPreprocessorFile = "preprocessor_config.json";

enum class Activation { kQuickGelu, kGelu };

// One transformer tower (text_config or vision_config).
struct TowerConfig {
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_attention_heads = 0;
  int num_hidden_layers = 0;
  Activation hidden_act = Activation::kQuickGelu;
  float layer_norm_eps = 1e-5f;
};

struct TextConfig : TowerConfig {
  int vocab_size = 49408;
  int max_position_embeddings = 77;
  TextConfig() : TowerConfig{512, 2048, 8, 12} {}
};

struct VisionConfig : TowerConfig {
  int image_size = 224;
  int patch_size = 32;
  int num_channels = 3;
  VisionConfig() : TowerConfig{768, 3072, 12, 12} {}
  int grid() const { return image_size / patch_size; }
  int num_positions() const { return grid() * grid() + 1; }  // patches and the class token
};

// PIL's numbering of resampling filters, as preprocessor_config.json writes them.
enum class Resample { kBilinear = 2, kBicubic = 3 };

struct PreprocessConfig {
  bool do_resize = true;
  int shortest_edge = 224;  // the shorter side is resized to this, keeping the aspect ratio
  Resample resample = Resample::kBicubic;
  bool do_center_crop = true;
  int crop_height = 224;
  int crop_width = 224;
  bool do_rescale = true;
  float rescale_factor = 1.0f / 255.0f;
  bool do_normalize = true;
  std::array<float, 3> image_mean = {0.48145466f, 0.4578275f, 0.40821073f};
  std::array<float, 3> image_std = {0.26862954f, 0.26130258f, 0.27577711f};
};

struct ClipConfig {
  TextConfig text;
  VisionConfig vision;
  int projection_dim = 512;
  PreprocessConfig preprocess;
};

// Parses config.json's text: top-level projection_dim, text_config, vision_config. `file` names
// the file in errors (InvalidArgument "FILE: KEY ...").
Result<ClipConfig> ParseClipConfig(std::string_view json, std::string_view file);

// Parses preprocessor_config.json's text (both the older `"size": 224, "crop_size": 224` form and
// the newer `{"shortest_edge": 224}`, `{"height": 224, "width": 224}` one).
Result<PreprocessConfig> ParsePreprocessConfig(std::string_view json, std::string_view file);

// Checks the values a model can run with (positive sizes, heads dividing the width, the crop
// equal to the vision tower's image size). InvalidArgument naming the file and key.
Status ValidateClipConfig(const ClipConfig& config);

}  // namespace reco::clip
