#include "clip/clip_config.h"

#include <simdjson.h>

#include <cmath>
#include <string>

namespace reco::clip {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

class Reader {
 public:
  Reader(object obj, std::string_view file, std::string prefix)
      : obj_(obj), file_(file), prefix_(std::move(prefix)) {}

  Status Int(std::string_view key, int& out) const {
    element e;
    if (obj_[key].get(e)) return Status::Ok();  // absent: keep the default
    int64_t v = 0;
    if (e.get_int64().get(v) || v < 0 || v > (int64_t{1} << 30)) {
      return Bad(key, "must be a non-negative integer");
    }
    out = static_cast<int>(v);
    return Status::Ok();
  }
  Status Float(std::string_view key, float& out) const {
    element e;
    if (obj_[key].get(e)) return Status::Ok();
    double v = 0;
    if (e.get_double().get(v) || !std::isfinite(v)) return Bad(key, "must be a number");
    out = static_cast<float>(v);
    return Status::Ok();
  }
  Status Bool(std::string_view key, bool& out) const {
    element e;
    if (obj_[key].get(e)) return Status::Ok();
    if (e.get_bool().get(out)) return Bad(key, "must be true or false");
    return Status::Ok();
  }
  Status Triple(std::string_view key, std::array<float, 3>& out) const {
    element e;
    if (obj_[key].get(e)) return Status::Ok();
    simdjson::dom::array a;
    if (e.get_array().get(a) || a.size() != 3) return Bad(key, "must be a list of 3 numbers");
    for (size_t i = 0; i < 3; ++i) {
      double v = 0;
      if (a.at(i).get_double().get(v) || !std::isfinite(v)) {
        return Bad(key, "must be a list of 3 numbers");
      }
      out[i] = static_cast<float>(v);
    }
    return Status::Ok();
  }
  Status Activation(std::string_view key, clip::Activation& out) const {
    element e;
    if (obj_[key].get(e)) return Status::Ok();
    std::string_view v;
    if (e.get_string().get(v)) return Bad(key, "must be a string");
    if (v == "quick_gelu") {
      out = clip::Activation::kQuickGelu;
    } else if (v == "gelu") {
      out = clip::Activation::kGelu;
    } else {
      return Bad(key, "is '" + std::string(v) + "'; supported: quick_gelu, gelu");
    }
    return Status::Ok();
  }
  // The object at `key`; false when absent, an error when it is something else.
  Result<bool> Object(std::string_view key, object& out) const {
    element e;
    if (obj_[key].get(e)) return false;
    if (e.get_object().get(out)) return Bad(key, "must be an object");
    return true;
  }
  Status Bad(std::string_view key, const std::string& why) const {
    return InvalidArgument(std::string(file_) + ": " + prefix_ + std::string(key) + " " + why,
                           prefix_ + std::string(key));
  }
  // Whether `key` holds an object (the newer form of size and crop_size).
  bool HoldsObject(std::string_view key) const {
    element e;
    return !obj_[key].get(e) && e.is_object();
  }

 private:
  object obj_;
  std::string_view file_;
  std::string prefix_;
};

Status ReadTower(const Reader& r, TowerConfig& t) {
  RECO_RETURN_IF_ERROR(r.Int("hidden_size", t.hidden_size));
  RECO_RETURN_IF_ERROR(r.Int("intermediate_size", t.intermediate_size));
  RECO_RETURN_IF_ERROR(r.Int("num_attention_heads", t.num_attention_heads));
  RECO_RETURN_IF_ERROR(r.Int("num_hidden_layers", t.num_hidden_layers));
  RECO_RETURN_IF_ERROR(r.Activation("hidden_act", t.hidden_act));
  return r.Float("layer_norm_eps", t.layer_norm_eps);
}

Status CheckTower(const TowerConfig& t, std::string_view file, const std::string& prefix) {
  auto bad = [&](std::string_view key, const std::string& why) {
    return InvalidArgument(std::string(file) + ": " + prefix + std::string(key) + " " + why,
                           prefix + std::string(key));
  };
  if (t.hidden_size <= 0) return bad("hidden_size", "must be positive");
  if (t.intermediate_size <= 0) return bad("intermediate_size", "must be positive");
  if (t.num_hidden_layers <= 0) return bad("num_hidden_layers", "must be positive");
  if (t.num_attention_heads <= 0 || t.hidden_size % t.num_attention_heads != 0) {
    return bad("num_attention_heads", "must divide hidden_size (" +
                                          std::to_string(t.hidden_size) + ")");
  }
  if (!(t.layer_norm_eps > 0)) return bad("layer_norm_eps", "must be positive");
  return Status::Ok();
}

Result<object> ParseObject(simdjson::dom::parser& parser, simdjson::padded_string& text,
                           std::string_view file) {
  object root;
  if (parser.parse(text).get_object().get(root)) {
    return InvalidArgument(std::string(file) + " is not a JSON object", std::string(file));
  }
  return root;
}

}  // namespace

Result<ClipConfig> ParseClipConfig(std::string_view json, std::string_view file) {
  simdjson::dom::parser parser;
  simdjson::padded_string text(json);
  RECO_ASSIGN_OR_RETURN(object root, ParseObject(parser, text, file));
  ClipConfig config;
  Reader top(root, file, "");
  RECO_RETURN_IF_ERROR(top.Int("projection_dim", config.projection_dim));
  object sub;
  RECO_ASSIGN_OR_RETURN(bool has_text, top.Object("text_config", sub));
  if (has_text) {
    Reader r(sub, file, "text_config.");
    RECO_RETURN_IF_ERROR(ReadTower(r, config.text));
    RECO_RETURN_IF_ERROR(r.Int("vocab_size", config.text.vocab_size));
    RECO_RETURN_IF_ERROR(r.Int("max_position_embeddings", config.text.max_position_embeddings));
  }
  RECO_ASSIGN_OR_RETURN(bool has_vision, top.Object("vision_config", sub));
  if (has_vision) {
    Reader r(sub, file, "vision_config.");
    RECO_RETURN_IF_ERROR(ReadTower(r, config.vision));
    RECO_RETURN_IF_ERROR(r.Int("image_size", config.vision.image_size));
    RECO_RETURN_IF_ERROR(r.Int("patch_size", config.vision.patch_size));
    RECO_RETURN_IF_ERROR(r.Int("num_channels", config.vision.num_channels));
  }
  // A config.json without either tower is not a CLIP model's (e.g. a text-only model's file).
  if (!has_text || !has_vision) {
    return InvalidArgument(std::string(file) + ": " +
                               (has_text ? "vision_config" : "text_config") +
                               " is missing (not a CLIP model's config.json)",
                           has_text ? "vision_config" : "text_config");
  }
  return config;
}

Result<PreprocessConfig> ParsePreprocessConfig(std::string_view json, std::string_view file) {
  simdjson::dom::parser parser;
  simdjson::padded_string text(json);
  RECO_ASSIGN_OR_RETURN(object root, ParseObject(parser, text, file));
  PreprocessConfig p;
  Reader r(root, file, "");
  RECO_RETURN_IF_ERROR(r.Bool("do_resize", p.do_resize));
  RECO_RETURN_IF_ERROR(r.Bool("do_center_crop", p.do_center_crop));
  RECO_RETURN_IF_ERROR(r.Bool("do_rescale", p.do_rescale));
  RECO_RETURN_IF_ERROR(r.Bool("do_normalize", p.do_normalize));
  RECO_RETURN_IF_ERROR(r.Float("rescale_factor", p.rescale_factor));
  RECO_RETURN_IF_ERROR(r.Triple("image_mean", p.image_mean));
  RECO_RETURN_IF_ERROR(r.Triple("image_std", p.image_std));
  int resample = static_cast<int>(p.resample);
  RECO_RETURN_IF_ERROR(r.Int("resample", resample));
  if (resample != 2 && resample != 3) {
    return r.Bad("resample", "is " + std::to_string(resample) +
                                 "; supported: 2 (bilinear), 3 (bicubic)");
  }
  p.resample = static_cast<Resample>(resample);
  object sub;
  if (r.HoldsObject("size")) {
    RECO_ASSIGN_OR_RETURN(bool present, r.Object("size", sub));
    (void)present;
    Reader s(sub, file, "size.");
    element e;
    if (sub["shortest_edge"].get(e)) {
      return s.Bad("shortest_edge", "is missing (only the shortest_edge form is supported)");
    }
    RECO_RETURN_IF_ERROR(s.Int("shortest_edge", p.shortest_edge));
  } else {
    RECO_RETURN_IF_ERROR(r.Int("size", p.shortest_edge));
  }
  if (r.HoldsObject("crop_size")) {
    RECO_ASSIGN_OR_RETURN(bool present, r.Object("crop_size", sub));
    (void)present;
    Reader s(sub, file, "crop_size.");
    RECO_RETURN_IF_ERROR(s.Int("height", p.crop_height));
    RECO_RETURN_IF_ERROR(s.Int("width", p.crop_width));
  } else {
    int crop = -1;
    RECO_RETURN_IF_ERROR(r.Int("crop_size", crop));
    if (crop >= 0) p.crop_height = p.crop_width = crop;
  }
  if (p.shortest_edge <= 0) return r.Bad("size", "must be positive");
  if (p.crop_height <= 0 || p.crop_width <= 0) return r.Bad("crop_size", "must be positive");
  for (float s : p.image_std) {
    if (!(s > 0)) return r.Bad("image_std", "must be positive");
  }
  return p;
}

Status ValidateClipConfig(const ClipConfig& c) {
  RECO_RETURN_IF_ERROR(CheckTower(c.text, kConfigFile, "text_config."));
  RECO_RETURN_IF_ERROR(CheckTower(c.vision, kConfigFile, "vision_config."));
  const std::string file(kConfigFile);
  if (c.projection_dim <= 0) {
    return InvalidArgument(file + ": projection_dim must be positive", "projection_dim");
  }
  if (c.text.vocab_size <= 0 || c.text.max_position_embeddings <= 1) {
    return InvalidArgument(file + ": text_config.vocab_size and max_position_embeddings must be "
                                  "positive (max_position_embeddings at least 2)",
                           "text_config.max_position_embeddings");
  }
  const VisionConfig& v = c.vision;
  if (v.patch_size <= 0 || v.image_size <= 0 || v.image_size % v.patch_size != 0) {
    return InvalidArgument(file + ": vision_config.patch_size must divide image_size (" +
                               std::to_string(v.image_size) + ")",
                           "vision_config.patch_size");
  }
  if (v.num_channels != 3) {
    return InvalidArgument(file + ": vision_config.num_channels must be 3 (RGB)",
                           "vision_config.num_channels");
  }
  const PreprocessConfig& p = c.preprocess;
  // The vision tower sees exactly image_size x image_size pixels: the crop must produce that.
  if (!p.do_center_crop || p.crop_height != v.image_size || p.crop_width != v.image_size) {
    return InvalidArgument(std::string(kPreprocessorFile) + ": crop_size must be " +
                               std::to_string(v.image_size) + "x" + std::to_string(v.image_size) +
                               " with do_center_crop (vision_config.image_size of " + file + ")",
                           "crop_size");
  }
  return Status::Ok();
}

}  // namespace reco::clip
