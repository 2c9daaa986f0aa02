#include "clip/clip_model.h"

#include <spdlog/spdlog.h>

#include <Eigen/Core>
#include <chrono>
#include <cmath>
#include <limits>

#include "clip/safetensors.h"
#include "core/file_util.h"
#include "core/logging.h"

namespace reco::clip {
namespace {

namespace fs = std::filesystem;
using Mat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVec = Eigen::RowVectorXf;

struct Linear {
  Mat w;     // [out, in], as torch.nn.Linear stores it
  RowVec b;  // [out]; zeros when the layer has no bias
};

struct Norm {
  RowVec gamma, beta;
  float eps = 1e-5f;
};

struct Block {
  Norm ln1, ln2;
  Linear qkv;  // q, k and v projections stacked: [3 * hidden, hidden]
  Linear out, fc1, fc2;
};

struct Tower {
  std::vector<Block> blocks;
  int heads = 1;
  Activation act = Activation::kQuickGelu;
};

struct VisionWeights {
  Mat patch;  // [hidden, 3 * patch * patch]: the patch convolution as a matrix
  RowVec class_embedding;
  Mat positions;  // [num_positions, hidden]
  Norm pre, post;
  Tower tower;
  Mat projection;  // [projection_dim, hidden]
};

struct TextWeights {
  Mat tokens;     // [vocab_size, hidden]
  Mat positions;  // [max_position_embeddings, hidden]
  Norm final_norm;
  Tower tower;
  Mat projection;  // [projection_dim, hidden]
};

// ---- loading ----------------------------------------------------------------------------------

class Loader {
 public:
  explicit Loader(const TensorSource& source) : source_(source) {}

  Result<Mat> Matrix(const std::string& name, int64_t rows, int64_t cols,
                     std::vector<int64_t> shape = {}) const {
    if (shape.empty()) shape = {rows, cols};
    RECO_ASSIGN_OR_RETURN(std::vector<float> v, source_(name, shape));
    if (static_cast<int64_t>(v.size()) != rows * cols) {
      return DataLoss("tensor " + name + " has " + std::to_string(v.size()) + " values, expected " +
                      std::to_string(rows * cols));
    }
    return Mat(Eigen::Map<const Mat>(v.data(), rows, cols));
  }
  Result<RowVec> Vector(const std::string& name, int64_t n) const {
    RECO_ASSIGN_OR_RETURN(std::vector<float> v, source_(name, std::vector<int64_t>{n}));
    if (static_cast<int64_t>(v.size()) != n) {
      return DataLoss("tensor " + name + " has " + std::to_string(v.size()) + " values, expected " +
                      std::to_string(n));
    }
    return RowVec(Eigen::Map<const RowVec>(v.data(), n));
  }
  Result<Linear> LinearLayer(const std::string& prefix, int64_t out, int64_t in) const {
    Linear l;
    RECO_ASSIGN_OR_RETURN(l.w, Matrix(prefix + ".weight", out, in));
    RECO_ASSIGN_OR_RETURN(l.b, Vector(prefix + ".bias", out));
    return l;
  }
  Result<Norm> LayerNorm(const std::string& prefix, int64_t n, float eps) const {
    Norm norm;
    norm.eps = eps;
    RECO_ASSIGN_OR_RETURN(norm.gamma, Vector(prefix + ".weight", n));
    RECO_ASSIGN_OR_RETURN(norm.beta, Vector(prefix + ".bias", n));
    return norm;
  }
  Result<Tower> Encoder(const std::string& prefix, const TowerConfig& c) const {
    Tower t;
    t.heads = c.num_attention_heads;
    t.act = c.hidden_act;
    const int64_t d = c.hidden_size, m = c.intermediate_size;
    for (int i = 0; i < c.num_hidden_layers; ++i) {
      const std::string p = prefix + ".encoder.layers." + std::to_string(i);
      Block b;
      RECO_ASSIGN_OR_RETURN(b.ln1, LayerNorm(p + ".layer_norm1", d, c.layer_norm_eps));
      RECO_ASSIGN_OR_RETURN(b.ln2, LayerNorm(p + ".layer_norm2", d, c.layer_norm_eps));
      RECO_ASSIGN_OR_RETURN(Linear q, LinearLayer(p + ".self_attn.q_proj", d, d));
      RECO_ASSIGN_OR_RETURN(Linear k, LinearLayer(p + ".self_attn.k_proj", d, d));
      RECO_ASSIGN_OR_RETURN(Linear v, LinearLayer(p + ".self_attn.v_proj", d, d));
      b.qkv.w.resize(3 * d, d);
      b.qkv.w << q.w, k.w, v.w;
      b.qkv.b.resize(3 * d);
      b.qkv.b << q.b, k.b, v.b;
      RECO_ASSIGN_OR_RETURN(b.out, LinearLayer(p + ".self_attn.out_proj", d, d));
      RECO_ASSIGN_OR_RETURN(b.fc1, LinearLayer(p + ".mlp.fc1", m, d));
      RECO_ASSIGN_OR_RETURN(b.fc2, LinearLayer(p + ".mlp.fc2", d, m));
      t.blocks.push_back(std::move(b));
    }
    return t;
  }

 private:
  const TensorSource& source_;
};

Result<VisionWeights> LoadVision(const Loader& l, const ClipConfig& c) {
  const VisionConfig& v = c.vision;
  const int64_t d = v.hidden_size, p = v.patch_size;
  VisionWeights w;
  RECO_ASSIGN_OR_RETURN(w.patch, l.Matrix("vision_model.embeddings.patch_embedding.weight", d,
                                          3 * p * p, {d, 3, p, p}));
  RECO_ASSIGN_OR_RETURN(w.class_embedding, l.Vector("vision_model.embeddings.class_embedding", d));
  RECO_ASSIGN_OR_RETURN(w.positions, l.Matrix("vision_model.embeddings.position_embedding.weight",
                                              v.num_positions(), d));
  // "pre_layrnorm" is Hugging Face's spelling of the tensor name.
  RECO_ASSIGN_OR_RETURN(w.pre, l.LayerNorm("vision_model.pre_layrnorm", d, v.layer_norm_eps));
  RECO_ASSIGN_OR_RETURN(w.tower, l.Encoder("vision_model", v));
  RECO_ASSIGN_OR_RETURN(w.post, l.LayerNorm("vision_model.post_layernorm", d, v.layer_norm_eps));
  RECO_ASSIGN_OR_RETURN(w.projection, l.Matrix("visual_projection.weight", c.projection_dim, d));
  return w;
}

Result<TextWeights> LoadText(const Loader& l, const ClipConfig& c) {
  const TextConfig& t = c.text;
  const int64_t d = t.hidden_size;
  TextWeights w;
  RECO_ASSIGN_OR_RETURN(w.tokens,
                        l.Matrix("text_model.embeddings.token_embedding.weight", t.vocab_size, d));
  RECO_ASSIGN_OR_RETURN(w.positions, l.Matrix("text_model.embeddings.position_embedding.weight",
                                              t.max_position_embeddings, d));
  RECO_ASSIGN_OR_RETURN(w.tower, l.Encoder("text_model", t));
  RECO_ASSIGN_OR_RETURN(w.final_norm,
                        l.LayerNorm("text_model.final_layer_norm", d, t.layer_norm_eps));
  RECO_ASSIGN_OR_RETURN(w.projection, l.Matrix("text_projection.weight", c.projection_dim, d));
  return w;
}

// ---- forward ----------------------------------------------------------------------------------

void LayerNormRows(const Mat& x, const Norm& n, Mat& out) {
  out.resize(x.rows(), x.cols());
  const float inv_cols = 1.0f / static_cast<float>(x.cols());
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    const auto row = x.row(r).array();
    const float mean = row.sum() * inv_cols;
    const float var = (row - mean).square().sum() * inv_cols;
    const float inv_std = 1.0f / std::sqrt(var + n.eps);
    out.row(r) = ((row - mean) * inv_std) * n.gamma.array() + n.beta.array();
  }
}

void Apply(const Linear& l, const Mat& x, Mat& out) {
  out.noalias() = x * l.w.transpose();
  out.rowwise() += l.b;
}

void Activate(Activation act, Mat& m) {
  if (act == Activation::kQuickGelu) {
    m.array() = m.array() * (1.0f / (1.0f + (-1.702f * m.array()).exp()));
  } else {
    m = m.unaryExpr([](float x) { return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f)); });
  }
}

// Scratch matrices of one forward pass (kept to avoid reallocations between layers).
struct Scratch {
  Mat normed, qkv, context, scores, projected, hidden;
};

// Multi-head self-attention over `sequences` sequences of `length` rows each, stacked in `x`.
void Attention(const Block& b, int heads, bool causal, Eigen::Index sequences, Eigen::Index length,
               Scratch& s) {
  Apply(b.qkv, s.normed, s.qkv);
  const Eigen::Index d = s.normed.cols();
  const Eigen::Index dh = d / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  s.context.resize(s.normed.rows(), d);
  s.scores.resize(length, length);
  for (Eigen::Index q = 0; q < sequences; ++q) {
    const Eigen::Index row = q * length;
    for (int h = 0; h < heads; ++h) {
      const auto query = s.qkv.block(row, h * dh, length, dh);
      const auto key = s.qkv.block(row, d + h * dh, length, dh);
      const auto value = s.qkv.block(row, 2 * d + h * dh, length, dh);
      s.scores.noalias() = (query * scale) * key.transpose();
      for (Eigen::Index i = 0; i < length; ++i) {
        auto r = s.scores.row(i);
        const Eigen::Index visible = causal ? i + 1 : length;
        auto head = r.head(visible);
        const float max = head.maxCoeff();
        head = (head.array() - max).exp();
        head /= head.sum();
        if (visible < length) r.tail(length - visible).setZero();
      }
      s.context.block(row, h * dh, length, dh).noalias() = s.scores * value;
    }
  }
  Apply(b.out, s.context, s.projected);
}

// Runs every block of `t` on `h` (sequences * length rows) in place.
void RunTower(const Tower& t, bool causal, Eigen::Index sequences, Eigen::Index length, Mat& h,
              Scratch& s) {
  for (const Block& b : t.blocks) {
    LayerNormRows(h, b.ln1, s.normed);
    Attention(b, t.heads, causal, sequences, length, s);
    h += s.projected;
    LayerNormRows(h, b.ln2, s.normed);
    Apply(b.fc1, s.normed, s.hidden);
    Activate(t.act, s.hidden);
    Apply(b.fc2, s.hidden, s.projected);
    h += s.projected;
  }
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

struct ClipModel::Weights {
  std::optional<VisionWeights> vision;
  std::optional<TextWeights> text;
};

ClipModel::ClipModel() = default;
ClipModel::~ClipModel() = default;

bool ClipModel::has_vision() const { return weights_->vision.has_value(); }
bool ClipModel::has_text() const { return weights_->text.has_value(); }

void NormalizeL2(std::span<float> v) {
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  if (sum <= 0) return;
  const auto inv = static_cast<float>(1.0 / std::sqrt(sum));
  for (float& x : v) x *= inv;
}

std::string MissingModelFile(const fs::path& dir, const ClipLoadOptions& options) {
  std::vector<std::string_view> needed = {kConfigFile, kWeightsFile};
  if (options.vision) needed.push_back(kPreprocessorFile);
  if (options.text) {
    needed.push_back(kVocabFile);
    needed.push_back(kMergesFile);
  }
  std::vector<std::string> missing;
  std::error_code ec;
  for (std::string_view name : needed) {
    if (!fs::is_regular_file(dir / name, ec)) missing.emplace_back(name);
  }
  return Joined(missing);
}

Result<std::unique_ptr<ClipModel>> ClipModel::Load(const fs::path& dir,
                                                   const ClipLoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return NotFound("CLIP model folder " + dir.string() + " does not exist (CLIP_MODEL_PATH)");
  }
  if (std::string missing = MissingModelFile(dir, options); !missing.empty()) {
    std::string hint;
    if (missing.find(kWeightsFile) != std::string::npos) {
      if (fs::exists(dir / "pytorch_model.bin", ec)) {
        hint = "; pytorch_model.bin is there: convert it once to model.safetensors on a machine "
               "with Python (docs/clip.md)";
      } else if (fs::exists(dir / "model.safetensors.index.json", ec)) {
        hint = "; sharded weights (model.safetensors.index.json) are not supported: save the "
               "model as one model.safetensors (docs/clip.md)";
      }
    }
    return NotFound("CLIP model folder " + dir.string() + " is incomplete: missing " + missing +
                    hint);
  }
  RECO_ASSIGN_OR_RETURN(std::string config_text, ReadFile(dir / kConfigFile));
  RECO_ASSIGN_OR_RETURN(ClipConfig config, ParseClipConfig(config_text, kConfigFile));
  if (options.vision) {
    RECO_ASSIGN_OR_RETURN(std::string pre_text, ReadFile(dir / kPreprocessorFile));
    RECO_ASSIGN_OR_RETURN(config.preprocess, ParsePreprocessConfig(pre_text, kPreprocessorFile));
  } else {
    config.preprocess.crop_height = config.preprocess.crop_width = config.vision.image_size;
  }
  std::optional<ClipTokenizer> tokenizer;
  if (options.text) {
    RECO_ASSIGN_OR_RETURN(tokenizer, ClipTokenizer::Load(dir / kVocabFile, dir / kMergesFile));
  }
  RECO_ASSIGN_OR_RETURN(SafetensorsFile weights, SafetensorsFile::Open(dir / kWeightsFile));
  const TensorSource source = [&weights](const std::string& name,
                                         std::span<const int64_t> shape) {
    return weights.ReadFloats(name, shape);
  };
  RECO_ASSIGN_OR_RETURN(std::unique_ptr<ClipModel> model,
                        FromTensors(config, source, options, std::move(tokenizer)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("event=clip_model_loaded dir={} vision={} text={} dim={} seconds={:.2f}",
               EscapeLogText(dir.string()), options.vision, options.text, config.projection_dim,
               seconds);
  return model;
}

Result<std::unique_ptr<ClipModel>> ClipModel::FromTensors(const ClipConfig& config,
                                                          const TensorSource& tensors,
                                                          const ClipLoadOptions& options,
                                                          std::optional<ClipTokenizer> tokenizer) {
  RECO_RETURN_IF_ERROR(ValidateClipConfig(config));
  if (tokenizer && tokenizer->max_id() >= config.text.vocab_size) {
    return InvalidArgument(std::string(kVocabFile) + " holds id " +
                               std::to_string(tokenizer->max_id()) +
                               ", beyond text_config.vocab_size " +
                               std::to_string(config.text.vocab_size) + " of " +
                               std::string(kConfigFile),
                           "text_config.vocab_size");
  }
  std::unique_ptr<ClipModel> model(new ClipModel());
  model->config_ = config;
  model->tokenizer_ = std::move(tokenizer);
  model->weights_ = std::make_unique<Weights>();
  const Loader loader(tensors);
  if (options.vision) {
    RECO_ASSIGN_OR_RETURN(model->weights_->vision, LoadVision(loader, config));
  }
  if (options.text) {
    RECO_ASSIGN_OR_RETURN(model->weights_->text, LoadText(loader, config));
  }
  // logit_scale is not used to embed; it is read when present for callers that compare.
  if (auto scale = tensors("logit_scale", std::vector<int64_t>{}); scale.ok() && !scale->empty()) {
    model->logit_scale_ = (*scale)[0];
  } else if (!scale.ok() && scale.status().code() != StatusCode::kNotFound) {
    return scale.status();
  }
  return model;
}

Result<std::vector<float>> ClipModel::EncodeImages(std::span<const float> pixels, size_t count,
                                                   bool normalize) const {
  if (!weights_->vision) {
    return FailedPrecondition("the CLIP model was loaded without its vision tower");
  }
  const VisionWeights& w = *weights_->vision;
  const VisionConfig& v = config_.vision;
  const Eigen::Index s = v.image_size, p = v.patch_size, g = v.grid(), patches = g * g;
  const Eigen::Index t = patches + 1, d = v.hidden_size;
  const size_t per_image = static_cast<size_t>(3 * s * s);
  if (count == 0 || pixels.size() != count * per_image) {
    return InvalidArgument("EncodeImages: " + std::to_string(pixels.size()) +
                           " floats are not " + std::to_string(count) + " images of 3x" +
                           std::to_string(s) + "x" + std::to_string(s));
  }
  const auto n = static_cast<Eigen::Index>(count);
  // The patch convolution (stride = kernel = patch) is a product with the flattened patches.
  Mat flat(n * patches, 3 * p * p);
  for (Eigen::Index i = 0; i < n; ++i) {
    const float* image = pixels.data() + i * per_image;
    for (Eigen::Index gy = 0; gy < g; ++gy) {
      for (Eigen::Index gx = 0; gx < g; ++gx) {
        float* out = flat.row(i * patches + gy * g + gx).data();
        for (Eigen::Index c = 0; c < 3; ++c) {
          for (Eigen::Index ky = 0; ky < p; ++ky) {
            const float* src = image + c * s * s + (gy * p + ky) * s + gx * p;
            std::copy(src, src + p, out + (c * p + ky) * p);
          }
        }
      }
    }
  }
  Mat embedded;
  embedded.noalias() = flat * w.patch.transpose();
  Mat h(n * t, d);
  for (Eigen::Index i = 0; i < n; ++i) {
    h.row(i * t) = w.class_embedding + w.positions.row(0);
    h.block(i * t + 1, 0, patches, d) =
        embedded.block(i * patches, 0, patches, d) + w.positions.bottomRows(patches);
  }
  Scratch scratch;
  LayerNormRows(h, w.pre, scratch.normed);
  h.swap(scratch.normed);
  RunTower(w.tower, /*causal=*/false, n, t, h, scratch);
  Mat pooled(n, d);
  for (Eigen::Index i = 0; i < n; ++i) pooled.row(i) = h.row(i * t);
  Mat normed;
  LayerNormRows(pooled, w.post, normed);
  Mat projected;
  projected.noalias() = normed * w.projection.transpose();
  std::vector<float> out(projected.data(), projected.data() + projected.size());
  if (normalize) {
    for (size_t i = 0; i < count; ++i) {
      NormalizeL2(std::span(out).subspan(i * config_.projection_dim, config_.projection_dim));
    }
  }
  return out;
}

Result<std::vector<float>> ClipModel::EncodeTokens(std::span<const int32_t> ids,
                                                   bool normalize) const {
  if (!weights_->text) {
    return FailedPrecondition("the CLIP model was loaded without its text tower");
  }
  const TextWeights& w = *weights_->text;
  const TextConfig& c = config_.text;
  if (ids.empty() || ids.size() > static_cast<size_t>(c.max_position_embeddings)) {
    return InvalidArgument("EncodeTokens: " + std::to_string(ids.size()) +
                           " token ids; 1.." + std::to_string(c.max_position_embeddings) +
                           " are accepted");
  }
  const auto n = static_cast<Eigen::Index>(ids.size());
  Mat h(n, c.hidden_size);
  Eigen::Index end = 0;  // the position of the largest id: the end token, as Hugging Face picks it
  for (Eigen::Index i = 0; i < n; ++i) {
    const int32_t id = ids[i];
    if (id < 0 || id >= c.vocab_size) {
      return InvalidArgument("EncodeTokens: token id " + std::to_string(id) + " outside 0.." +
                             std::to_string(c.vocab_size - 1));
    }
    h.row(i) = w.tokens.row(id) + w.positions.row(i);
    if (id > ids[end]) end = i;
  }
  Scratch scratch;
  RunTower(w.tower, /*causal=*/true, 1, n, h, scratch);
  Mat pooled = h.row(end), normed;
  LayerNormRows(pooled, w.final_norm, normed);
  Mat projected;
  projected.noalias() = normed * w.projection.transpose();
  std::vector<float> out(projected.data(), projected.data() + projected.size());
  if (normalize) NormalizeL2(out);
  return out;
}

Result<std::vector<float>> ClipModel::EmbedImage(const RgbImage& image) const {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return InvalidArgument("EmbedImage: the pixels do not match width x height x 3");
  }
  const std::vector<float> pixels = PreprocessImage(image, config_.preprocess);
  return EncodeImages(pixels, 1, /*normalize=*/true);
}

Result<std::vector<float>> ClipModel::EmbedImageFile(const fs::path& path) const {
  RECO_ASSIGN_OR_RETURN(RgbImage image, DecodeImageFile(path));
  return EmbedImage(image);
}

Result<std::vector<float>> ClipModel::EmbedText(std::string_view text) const {
  if (!tokenizer_) return FailedPrecondition("the CLIP model was loaded without its tokenizer");
  const std::vector<int32_t> ids =
      tokenizer_->Encode(text, static_cast<size_t>(config_.text.max_position_embeddings));
  return EncodeTokens(ids, /*normalize=*/true);
}

}  // namespace reco::clip
