// reco's CLIP encoders against an independent reference: clip_reference.py builds a tiny model
// of CLIP's architecture with random weights (Hugging Face layout) and computes, in PyTorch
// (float64), the token ids, the text and image embeddings, the preprocessed images and the
// decoded PNG pixels; here reco loads the same folder and must agree to 1e-4 (the resize to a
// grey level, see PreprocessMatchesTorchWithinOneGreyLevel). Skips, with the reason, when
// Debian's /usr/bin/python3 has no torch.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "clip/clip_model.h"
#include "clip/image.h"
#include "clip/safetensors.h"
#include "core/file_util.h"

namespace reco::clip {
namespace {

namespace fs = std::filesystem;

constexpr double kTolerance = 1e-4;

// The reference folder: RECO_CLIP_REFERENCE_DIR when ctest built it (the fixture
// clip_reference in src/clip/CMakeLists.txt), else built here once per test suite.
class ClipReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    problem_.clear();
    skip_.clear();
    if (const char* shared = std::getenv("RECO_CLIP_REFERENCE_DIR"); shared && *shared) {
      dir_ = shared;
    } else {
      dir_ = fs::temp_directory_path() / ("reco_clip_reference_" + std::to_string(::getpid()));
      own_dir_ = true;
      fs::remove_all(dir_);
      fs::create_directories(dir_);
      const std::string command = "/usr/bin/python3 " RECO_SOURCE_DIR
                                  "/src/clip/clip_reference.py " + dir_.string() + " > " +
                                  (dir_ / "script.log").string() + " 2>&1";
      const int rc = std::system(command.c_str());
      if (!WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
        auto log = ReadFile(dir_ / "script.log");
        problem_ = "clip_reference.py failed:\n" + (log.ok() ? *log : std::string());
        return;
      }
    }
    if (auto skip = ReadFile(dir_ / "SKIP"); skip.ok()) {
      skip_ = *skip;
      return;
    }
    auto text = ReadFile(dir_ / "expected.json");
    if (!text.ok()) {
      problem_ = "no reference outputs: " + text.status().ToString();
      return;
    }
    expected_text_ = std::make_unique<simdjson::padded_string>(*text);
    parser_ = std::make_unique<simdjson::dom::parser>();
    if (parser_->parse(*expected_text_).get(expected_)) problem_ = "expected.json does not parse";
  }
  static void TearDownTestSuite() {
    if (own_dir_) fs::remove_all(dir_);
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(problem_.empty()) << problem_;
  }

  static fs::path model_dir() { return dir_ / "model"; }

  static std::vector<double> Doubles(simdjson::dom::element e) {
    std::vector<double> out;
    for (auto v : e.get_array()) out.push_back(v.get_double().value());
    return out;
  }

  static void ExpectNear(const std::vector<float>& actual, const std::vector<double>& expected,
                         double tolerance, const std::string& what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    double worst = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
      worst = std::max(worst, std::fabs(actual[i] - expected[i]));
    }
    EXPECT_LE(worst, tolerance) << what << ": largest difference " << worst;
  }

  static inline fs::path dir_;
  static inline bool own_dir_ = false;
  static inline std::string problem_;
  static inline std::string skip_;
  static inline std::unique_ptr<simdjson::padded_string> expected_text_;
  static inline std::unique_ptr<simdjson::dom::parser> parser_;
  static inline simdjson::dom::element expected_;
};

TEST_F(ClipReference, TokenIdsMatch) {
  auto model = ClipModel::Load(model_dir(), {.vision = false, .text = true});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ClipTokenizer* tokenizer = (*model)->tokenizer();
  ASSERT_NE(tokenizer, nullptr);
  size_t count = 0;
  for (auto entry : expected_["texts"].get_array()) {
    const std::string text(entry["text"].get_string().value());
    std::vector<int32_t> want;
    for (auto id : entry["ids"].get_array()) want.push_back(static_cast<int32_t>(id.get_int64()));
    EXPECT_EQ(tokenizer->Encode(text, 24), want) << "text: " << text;
    ++count;
  }
  EXPECT_EQ(count, 7u);
}

TEST_F(ClipReference, TextEmbeddingsMatchTorch) {
  auto model = ClipModel::Load(model_dir(), {.vision = false, .text = true});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_FALSE((*model)->has_vision());
  size_t count = 0;
  for (auto entry : expected_["texts"].get_array()) {
    const std::string text(entry["text"].get_string().value());
    std::vector<int32_t> ids;
    for (auto id : entry["ids"].get_array()) ids.push_back(static_cast<int32_t>(id.get_int64()));
    auto raw = (*model)->EncodeTokens(ids, /*normalize=*/false);
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    ExpectNear(*raw, Doubles(entry["embedding"]), kTolerance, "unnormalised: " + text);
    auto embedded = (*model)->EmbedText(text);
    ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
    ExpectNear(*embedded, Doubles(entry["normalized"]), kTolerance, "normalised: " + text);
    ++count;
  }
  EXPECT_EQ(count, 7u);
}

TEST_F(ClipReference, ImageEmbeddingsMatchTorchAloneAndInABatch) {
  auto model = ClipModel::Load(model_dir(), {.vision = true, .text = false});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_FALSE((*model)->has_text());
  auto bytes = ReadFile(dir_ / "pixels.f32");
  ASSERT_TRUE(bytes.ok());
  std::vector<float> pixels(bytes->size() / sizeof(float));
  std::memcpy(pixels.data(), bytes->data(), pixels.size() * sizeof(float));
  const size_t per_image = 3 * 32 * 32;
  ASSERT_EQ(pixels.size(), 3 * per_image);
  auto batch = (*model)->EncodeImages(pixels, 3, /*normalize=*/false);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  auto batch_normalized = (*model)->EncodeImages(pixels, 3, /*normalize=*/true);
  ASSERT_TRUE(batch_normalized.ok());
  const int dim = (*model)->embedding_dim();
  ASSERT_EQ(dim, 16);
  size_t i = 0;
  for (auto entry : expected_["images"].get_array()) {
    ASSERT_LT(i, 3u);
    auto alone = (*model)->EncodeImages(std::span(pixels).subspan(i * per_image, per_image), 1,
                                        /*normalize=*/false);
    ASSERT_TRUE(alone.ok());
    const std::string name = "image " + std::to_string(i);
    ExpectNear(*alone, Doubles(entry["embedding"]), kTolerance, name + " alone");
    ExpectNear(std::vector<float>(batch->begin() + i * dim, batch->begin() + (i + 1) * dim),
               Doubles(entry["embedding"]), kTolerance, name + " in a batch");
    ExpectNear(std::vector<float>(batch_normalized->begin() + i * dim,
                                  batch_normalized->begin() + (i + 1) * dim),
               Doubles(entry["normalized"]), kTolerance, name + " normalised");
    ++i;
  }
  EXPECT_EQ(i, 3u);
}

// The tolerance of the preprocessing: reco (as PIL) weighs with 22-bit fixed-point coefficients,
// the reference (torch) in floating point; a value that lands near a half grey level may round
// the other way, in either pass. Compared in grey levels (the normalised value times std * 255).
TEST_F(ClipReference, PreprocessMatchesTorchWithinOneGreyLevel) {
  PreprocessConfig config;
  config.shortest_edge = 32;
  config.crop_height = config.crop_width = 32;
  size_t count = 0;
  for (auto entry : expected_["preprocess"].get_array()) {
    const std::string name(entry["name"].get_string().value());
    RgbImage image;
    image.width = static_cast<int>(entry["width"].get_int64().value());
    image.height = static_cast<int>(entry["height"].get_int64().value());
    auto raw = ReadFile(dir_ / "preprocess" / (name + ".rgb"));
    ASSERT_TRUE(raw.ok());
    image.pixels.assign(raw->begin(), raw->end());
    ASSERT_EQ(image.pixels.size(), static_cast<size_t>(image.width) * image.height * 3);
    const std::vector<float> actual = PreprocessImage(image, config);
    const std::vector<double> want = Doubles(entry["pixels"]);
    ASSERT_EQ(actual.size(), want.size()) << name;
    double worst = 0, total = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
      const double levels = std::fabs(actual[i] - want[i]) * config.image_std[i / 1024] * 255.0;
      worst = std::max(worst, levels);
      total += levels;
    }
    EXPECT_LE(worst, 1.0 + 1e-3) << name << ": grey levels apart";
    EXPECT_LE(total / actual.size(), 0.02) << name << ": mean grey levels apart";
    ++count;
  }
  EXPECT_EQ(count, 7u);
}

TEST_F(ClipReference, PngFilesDecodeToTheExpectedRgb) {
  size_t count = 0;
  for (auto [name, entry] : expected_["png"].get_object()) {
    auto image = DecodeImageFile(dir_ / "images" / std::string(name));
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    EXPECT_EQ(image->width, entry["width"].get_int64().value()) << name;
    EXPECT_EQ(image->height, entry["height"].get_int64().value()) << name;
    std::vector<uint8_t> want;
    for (auto v : entry["rgb"].get_array()) want.push_back(static_cast<uint8_t>(v.get_int64()));
    EXPECT_EQ(image->pixels, want) << name;
    ++count;
  }
  EXPECT_EQ(count, 5u);
}

TEST_F(ClipReference, ImageFilesOfTheModelSizeMatchTorch) {
  auto model = ClipModel::Load(model_dir(), {.vision = true, .text = false});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  size_t compared = 0;
  for (auto [item, entry] : expected_["files"].get_object()) {
    if (entry["normalized"].is_null()) continue;
    auto embedded = (*model)->EmbedImageFile(dir_ / "images" / (std::string(item) + ".png"));
    ASSERT_TRUE(embedded.ok()) << embedded.status().ToString();
    ExpectNear(*embedded, Doubles(entry["normalized"]), kTolerance, std::string(item));
    ++compared;
  }
  EXPECT_EQ(compared, 2u);  // rgb.png and rgba.png are 32 x 32
}

// ---- a damaged or incomplete folder -----------------------------------------------------------

class ClipReferenceFolder : public ClipReference {
 protected:
  void SetUp() override {
    ClipReference::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // A copy of its own: the reference folder may be shared by tests running at once.
    copy_ = fs::temp_directory_path() / ("reco_clip_folder_" + std::to_string(::getpid()));
    fs::remove_all(copy_);
    fs::copy(model_dir(), copy_, fs::copy_options::recursive);
  }
  void TearDown() override {
    if (!copy_.empty()) fs::remove_all(copy_);
  }
  fs::path copy_;
};

TEST_F(ClipReferenceFolder, MissingFilesAreNamed) {
  fs::remove(copy_ / "model.safetensors");
  fs::remove(copy_ / "vocab.json");
  auto model = ClipModel::Load(copy_);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kNotFound);
  EXPECT_NE(model.status().message().find("missing model.safetensors, vocab.json"),
            std::string::npos)
      << model.status().message();
  // The image encoder alone does not need the tokenizer files.
  EXPECT_EQ(MissingModelFile(copy_, {.vision = true, .text = false}), "model.safetensors");
  std::ofstream(copy_ / "pytorch_model.bin") << "x";
  model = ClipModel::Load(copy_, {.vision = true, .text = false});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("pytorch_model.bin is there: convert it"),
            std::string::npos)
      << model.status().message();
}

TEST_F(ClipReferenceFolder, MissingFolderIsNamed) {
  auto model = ClipModel::Load(copy_ / "absent");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            "CLIP model folder " + (copy_ / "absent").string() + " does not exist (CLIP_MODEL_PATH)");
}

TEST_F(ClipReferenceFolder, TruncatedWeightsNameTheFileAndATensor) {
  const fs::path weights = copy_ / "model.safetensors";
  fs::resize_file(weights, fs::file_size(weights) - 100);
  auto model = ClipModel::Load(copy_);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kDataLoss);
  const std::string& message = model.status().message();
  EXPECT_NE(message.find(weights.string() + ": tensor "), std::string::npos) << message;
  EXPECT_NE(message.find("a truncated file?"), std::string::npos) << message;
}

TEST_F(ClipReferenceFolder, ConfigThatDoesNotMatchTheWeightsNamesTheTensor) {
  auto config = ReadFile(copy_ / "config.json");
  ASSERT_TRUE(config.ok());
  std::string text = *config;
  const std::string from = "\"intermediate_size\": 48";
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, from.size(), "\"intermediate_size\": 50");
  ASSERT_TRUE(WriteFileAtomic(copy_ / "config.json", text).ok());
  auto model = ClipModel::Load(copy_);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(),
            (copy_ / "model.safetensors").string() +
                ": tensor vision_model.encoder.layers.0.mlp.fc1.weight has shape [48, 32], "
                "expected [50, 32] (config.json does not match the weights)");
}

TEST_F(ClipReferenceFolder, WeightsWithoutATowerNameTheMissingTensor) {
  auto file = SafetensorsFile::Open(copy_ / "model.safetensors");
  ASSERT_TRUE(file.ok());
  EXPECT_NE(file->Find("vision_model.pre_layrnorm.weight"), nullptr);
  EXPECT_EQ(file->Find("text_model.embeddings.position_ids")->dtype, "I64");
  auto ids = file->ReadFloats("text_model.embeddings.position_ids", std::vector<int64_t>{1, 24});
  ASSERT_FALSE(ids.ok());
  EXPECT_NE(ids.status().message().find("has dtype I64"), std::string::npos);
  auto absent = file->ReadFloats("text_model.nothing", std::vector<int64_t>{1});
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().message(),
            (copy_ / "model.safetensors").string() + ": tensor text_model.nothing is missing");
}

}  // namespace
}  // namespace reco::clip
