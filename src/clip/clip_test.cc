// Unit tests of the CLIP building blocks that need no model: safetensors parsing and
// validation, configuration files, the tokenizer's Unicode classes, image decoding and resizing.
// The numerics against PyTorch are in clip_reference_test.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "clip/clip_config.h"
#include "clip/embed_job.h"
#include "clip/image.h"
#include "clip/safetensors.h"
#include "clip/tokenizer.h"
#include "core/file_util.h"

namespace reco::clip {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A safetensors file with `header` (JSON) and `data`.
fs::path WriteSafetensors(const fs::path& path, const std::string& header,
                          const std::string& data) {
  std::string bytes(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  bytes += header;
  bytes += data;
  EXPECT_TRUE(WriteFileAtomic(path, bytes).ok());
  return path;
}

std::string FloatBytes(std::vector<float> values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

TEST(Safetensors, HalfAndBfloat16Conversions) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // the smallest subnormal
  EXPECT_EQ(HalfToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7C00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7E00)));
  EXPECT_EQ(Bfloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(Bfloat16ToFloat(0xC040), -3.0f);
}

TEST(Safetensors, ReadsF32AndF16WithShapes) {
  TempDir dir("clip_st_ok");
  const std::string header =
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
      R"("b":{"dtype":"F16","shape":[2],"data_offsets":[16,20]}})";
  std::string data = FloatBytes({1, 2, 3, 4});
  data += std::string("\x00\x3C\x00\xC0", 4);  // 1.0, -2.0 as F16
  auto file = SafetensorsFile::Open(WriteSafetensors(dir.path() / "w.safetensors", header, data));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->tensors().size(), 2u);
  auto a = file->ReadFloats("a", std::vector<int64_t>{2, 2});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, (std::vector<float>{1, 2, 3, 4}));
  auto b = file->ReadFloats("b", std::vector<int64_t>{2});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, (std::vector<float>{1, -2}));
  auto wrong = file->ReadFloats("a", std::vector<int64_t>{4});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(),
            (dir.path() / "w.safetensors").string() +
                ": tensor a has shape [2, 2], expected [4] (config.json does not match the "
                "weights)");
}

TEST(Safetensors, DamagedHeadersNameTheFileAndTensor) {
  TempDir dir("clip_st_bad");
  struct Case {
    std::string header, data, message;
  } cases[] = {
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", FloatBytes({1, 2}),
       "tensor a: 8 bytes do not hold F32 [3]"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", FloatBytes({1}),
       "tensor a: bytes [0, 8) lie outside the data section of 4 bytes (a truncated file?)"},
      {R"({"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", FloatBytes({1, 2}),
       "tensor a: unknown dtype Q4"},
      {R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", FloatBytes({1, 2}),
       "tensor a: \"shape\" holds something other than a size"},
      {R"({"a":{"dtype":"F32","shape":[2]}})", FloatBytes({1, 2}),
       "tensor a: \"data_offsets\" is not [begin, end]"},
      {R"([1, 2])", "", "the safetensors header is not a JSON object"},
  };
  for (const Case& c : cases) {
    const fs::path path = WriteSafetensors(dir.path() / "w.safetensors", c.header, c.data);
    auto file = SafetensorsFile::Open(path);
    ASSERT_FALSE(file.ok()) << c.header;
    EXPECT_EQ(file.status().code(), StatusCode::kDataLoss);
    EXPECT_EQ(file.status().message(), path.string() + ": " + c.message);
  }
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "short", "abc").ok());
  auto file = SafetensorsFile::Open(dir.path() / "short");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("shorter than 8 bytes"), std::string::npos);
  file = SafetensorsFile::Open(dir.path() / "absent.safetensors");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  std::string huge(8, '\xFF');
  ASSERT_TRUE(WriteFileAtomic(dir.path() / "huge", huge + "{}").ok());
  file = SafetensorsFile::Open(dir.path() / "huge");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("does not fit the file"), std::string::npos);
}

TEST(ClipConfigFiles, AbsentKeysTakeViTB32Values) {
  auto config = ParseClipConfig(R"({"text_config": {}, "vision_config": {}})", "config.json");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->projection_dim, 512);
  EXPECT_EQ(config->vision.hidden_size, 768);
  EXPECT_EQ(config->vision.num_hidden_layers, 12);
  EXPECT_EQ(config->vision.patch_size, 32);
  EXPECT_EQ(config->vision.num_positions(), 50);
  EXPECT_EQ(config->text.hidden_size, 512);
  EXPECT_EQ(config->text.num_attention_heads, 8);
  EXPECT_EQ(config->text.vocab_size, 49408);
  EXPECT_EQ(config->text.max_position_embeddings, 77);
  EXPECT_TRUE(ValidateClipConfig(*config).ok());
}

TEST(ClipConfigFiles, BadValuesNameTheKey) {
  auto config = ParseClipConfig(R"({"text_config": {"hidden_act": "relu"}, "vision_config": {}})",
                                "config.json");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "config.json: text_config.hidden_act is 'relu'; supported: quick_gelu, gelu");
  EXPECT_EQ(config.status().field(), "text_config.hidden_act");
  config = ParseClipConfig(R"({"text_config": {}})", "config.json");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "config.json: vision_config is missing (not a CLIP model's config.json)");
  config = ParseClipConfig(R"({"text_config": {}, "vision_config": {"num_attention_heads": 5}})",
                           "config.json");
  ASSERT_TRUE(config.ok());
  Status st = ValidateClipConfig(*config);
  EXPECT_EQ(st.message(), "config.json: vision_config.num_attention_heads must divide hidden_size "
                          "(768)");
  config = ParseClipConfig("not json", "config.json");
  EXPECT_FALSE(config.ok());
}

TEST(ClipConfigFiles, PreprocessorOldAndNewForms) {
  auto old_form = ParsePreprocessConfig(
      R"({"crop_size": 224, "size": 224, "resample": 3, "image_mean": [0.5, 0.5, 0.5]})",
      "preprocessor_config.json");
  ASSERT_TRUE(old_form.ok()) << old_form.status().ToString();
  EXPECT_EQ(old_form->shortest_edge, 224);
  EXPECT_EQ(old_form->crop_height, 224);
  EXPECT_EQ(old_form->image_mean[1], 0.5f);
  auto new_form = ParsePreprocessConfig(
      R"({"crop_size": {"height": 32, "width": 32}, "size": {"shortest_edge": 40}})",
      "preprocessor_config.json");
  ASSERT_TRUE(new_form.ok());
  EXPECT_EQ(new_form->shortest_edge, 40);
  EXPECT_EQ(new_form->crop_width, 32);
  EXPECT_EQ(new_form->resample, Resample::kBicubic);
  auto bad = ParsePreprocessConfig(R"({"resample": 1})", "preprocessor_config.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "preprocessor_config.json: resample is 1; supported: 2 (bilinear), 3 (bicubic)");
  bad = ParsePreprocessConfig(R"({"size": {"height": 224, "width": 224}})", "p.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "p.json: size.shortest_edge is missing (only the shortest_edge form is supported)");
  bad = ParsePreprocessConfig(R"({"image_std": [0.5, 0, 0.5]})", "p.json");
  EXPECT_FALSE(bad.ok());
}

TEST(ClipTokenizerUnicode, ClassesAndLowercase) {
  EXPECT_TRUE(IsLetter(U'a'));
  EXPECT_TRUE(IsLetter(U'\u732B'));  // 猫
  EXPECT_TRUE(IsLetter(U'\u00E9'));  // é
  EXPECT_FALSE(IsLetter(U'1'));
  EXPECT_FALSE(IsLetter(U'\''));
  EXPECT_TRUE(IsNumber(U'7'));
  EXPECT_TRUE(IsNumber(U'\u0663'));  // Arabic-Indic three
  EXPECT_TRUE(IsNumber(U'\u00BD'));  // ½
  EXPECT_TRUE(IsSpace(U'\u3000'));   // ideographic space
  EXPECT_TRUE(IsSpace(U'\n'));
  EXPECT_FALSE(IsSpace(U'x'));
  EXPECT_EQ(ToLower(U'A'), U'a');
  EXPECT_EQ(ToLower(U'\u00DC'), U'\u00FC');  // Ü -> ü
  EXPECT_EQ(ToLower(U'\u0416'), U'\u0436');  // Ж -> ж
  EXPECT_EQ(ToLower(U'\u732B'), U'\u732B');
}

TEST(ClipTokenizerFiles, MissingSpecialTokensAndBadMergesAreNamed) {
  auto t = ClipTokenizer::FromStrings("{}", "");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "vocab.json lacks the token <|startoftext|>");
  t = ClipTokenizer::FromStrings(R"({"<|startoftext|>": 0, "<|endoftext|>": 1})", "");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("not a CLIP byte-level vocabulary"), std::string::npos);
  t = ClipTokenizer::FromStrings("[]", "");
  ASSERT_FALSE(t.ok());
  TempDir dir("clip_tok");
  auto loaded = ClipTokenizer::Load(dir.path() / "vocab.json", dir.path() / "merges.txt");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), (dir.path() / "vocab.json").string() + " is missing");
}

RgbImage Pattern(int width, int height) {
  RgbImage image{width, height, std::vector<uint8_t>(static_cast<size_t>(width) * height * 3)};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &image.pixels[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(x * 255 / std::max(width - 1, 1));
      p[1] = static_cast<uint8_t>(y * 255 / std::max(height - 1, 1));
      p[2] = 128;
    }
  }
  return image;
}

TEST(ClipImages, JpegRoundTripAndDamagedFiles) {
  const RgbImage image = Pattern(64, 48);
  auto jpeg = EncodeJpeg(image, 100);
  ASSERT_TRUE(jpeg.ok());
  auto decoded = DecodeImage(*jpeg, "a.jpg");
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->width, 64);
  EXPECT_EQ(decoded->height, 48);
  ASSERT_EQ(decoded->pixels.size(), image.pixels.size());
  int worst = 0;
  for (size_t i = 0; i < image.pixels.size(); ++i) {
    worst = std::max(worst, std::abs(int{decoded->pixels[i]} - int{image.pixels[i]}));
  }
  EXPECT_LE(worst, 8);  // JPEG is lossy; at quality 100 a smooth gradient stays close

  std::vector<uint8_t> truncated(jpeg->begin(), jpeg->begin() + jpeg->size() / 2);
  auto broken = DecodeImage(truncated, "half.jpg");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message(), "half.jpg: the JPEG data ends early (a truncated file)");

  const std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 0, 0};
  broken = DecodeImage(gif, "x.gif");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().message(), "x.gif: not a JPEG or PNG image");
  const std::vector<uint8_t> png_header = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0};
  broken = DecodeImage(png_header, "y.png");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("y.png: not a readable PNG"), std::string::npos)
      << broken.status().message();
  auto missing = DecodeImageFile("/nonexistent/z.png");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(ClipImages, ResizedSizeTruncatesTheLongSide) {
  int w = 0, h = 0;
  ResizedSize(640, 480, 224, w, h);
  EXPECT_EQ(w, 298);  // int(224 * 640 / 480) = int(298.67)
  EXPECT_EQ(h, 224);
  ResizedSize(480, 640, 224, w, h);
  EXPECT_EQ(w, 224);
  EXPECT_EQ(h, 298);
  ResizedSize(100, 100, 224, w, h);
  EXPECT_EQ(w, 224);
  EXPECT_EQ(h, 224);
}

TEST(ClipImages, ResizeKeepsAFlatImageFlatAndSameSizeUnchanged) {
  RgbImage flat{37, 23, std::vector<uint8_t>(37 * 23 * 3, 77)};
  for (Resample filter : {Resample::kBicubic, Resample::kBilinear}) {
    const RgbImage smaller = ResizeImage(flat, 11, 7, filter);
    EXPECT_EQ(smaller.pixels, std::vector<uint8_t>(11 * 7 * 3, 77));
    const RgbImage larger = ResizeImage(flat, 80, 50, filter);
    EXPECT_EQ(larger.pixels, std::vector<uint8_t>(80 * 50 * 3, 77));
  }
  const RgbImage pattern = Pattern(20, 10);
  EXPECT_EQ(ResizeImage(pattern, 20, 10, Resample::kBicubic).pixels, pattern.pixels);
}

TEST(ClipImages, CenterCropPadsWithZerosBeforeNormalising) {
  PreprocessConfig config;
  config.do_resize = false;
  config.crop_height = 4;
  config.crop_width = 4;
  config.do_normalize = false;
  RgbImage image{2, 2, std::vector<uint8_t>(12, 255)};
  const std::vector<float> out = PreprocessImage(image, config);
  ASSERT_EQ(out.size(), 48u);
  // The 2x2 image sits in the middle of the 4x4 crop: rows and columns 1..2.
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      const bool inside = y >= 1 && y <= 2 && x >= 1 && x <= 2;
      EXPECT_FLOAT_EQ(out[y * 4 + x], inside ? 1.0f : 0.0f) << y << "," << x;
    }
  }
}

TEST(ClipEmbedInputs, FolderCsvAndJsonLines) {
  TempDir dir("clip_inputs");
  for (const char* name : {"b.JPG", "a.png", "c.jpeg", "notes.txt"}) {
    ASSERT_TRUE(WriteFileAtomic(dir.path() / name, "x").ok());
  }
  auto folder = ReadEmbedInputs(dir.path(), EmbedKind::kImage);
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();
  ASSERT_EQ(folder->size(), 3u);
  EXPECT_EQ((*folder)[0].item_id, "a");
  EXPECT_EQ((*folder)[1].item_id, "b");
  EXPECT_EQ((*folder)[2].value, (dir.path() / "c.jpeg").string());

  ASSERT_TRUE(WriteFileAtomic(dir.path() / "list.csv",
                              "item_id,path\n1,img/1.jpg\n\"2\",/abs/2.png\n").ok());
  auto csv = ReadEmbedInputs(dir.path() / "list.csv", EmbedKind::kImage);
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  ASSERT_EQ(csv->size(), 2u);
  EXPECT_EQ((*csv)[0].value, (dir.path() / "img/1.jpg").string());  // from the list's folder
  EXPECT_EQ((*csv)[1].value, "/abs/2.png");

  ASSERT_TRUE(WriteFileAtomic(dir.path() / "texts.jsonl",
                              "{\"item_id\": \"x\", \"text\": \"red shoes\"}\n\n"
                              "{\"item_id\": \"y\", \"text\": \"\"}\n").ok());
  auto jsonl = ReadEmbedInputs(dir.path() / "texts.jsonl", EmbedKind::kText);
  ASSERT_TRUE(jsonl.ok()) << jsonl.status().ToString();
  ASSERT_EQ(jsonl->size(), 2u);
  EXPECT_EQ((*jsonl)[0].value, "red shoes");
}

TEST(ClipEmbedInputs, BadListsNameTheFileAndLine) {
  TempDir dir("clip_inputs_bad");
  const fs::path csv = dir.path() / "list.csv";
  struct Case {
    std::string text, message;
  } cases[] = {
      {"id,path\n1,a.jpg\n", ":1: the header must be item_id,path"},
      {"item_id,path\n1,a.jpg\n1,b.jpg\n", ":3: item_id '1' appears twice (also at " +
                                               csv.string() + ":2)"},
      {"item_id,path\n1,a.jpg,extra\n", ":2: 3 fields; expected item_id,path"},
      {"item_id,path\n,a.jpg\n", ":2: item_id is empty"},
      {"item_id,path\n1,\n", ":2: path is empty"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(WriteFileAtomic(csv, c.text).ok());
    auto inputs = ReadEmbedInputs(csv, EmbedKind::kImage);
    ASSERT_FALSE(inputs.ok()) << c.text;
    EXPECT_EQ(inputs.status().message(), csv.string() + c.message);
  }
  const fs::path jsonl = dir.path() / "list.jsonl";
  ASSERT_TRUE(WriteFileAtomic(jsonl, "{\"item_id\": 5, \"path\": \"a.jpg\"}\n").ok());
  auto inputs = ReadEmbedInputs(jsonl, EmbedKind::kImage);
  ASSERT_FALSE(inputs.ok());
  EXPECT_EQ(inputs.status().message(), jsonl.string() + ":1: \"item_id\" must be a string");
  inputs = ReadEmbedInputs(dir.path() / "absent.csv", EmbedKind::kImage);
  ASSERT_FALSE(inputs.ok());
  EXPECT_EQ(inputs.status().code(), StatusCode::kNotFound);
  inputs = ReadEmbedInputs(dir.path(), EmbedKind::kText);
  ASSERT_FALSE(inputs.ok());
  EXPECT_NE(inputs.status().message().find("texts come from a .csv or .jsonl file"),
            std::string::npos);
}

TEST(ClipEmbedJob, MissingModelFolderFailsBeforeReadingTheInput) {
  TempDir dir("clip_job");
  EmbedJobOptions options;
  options.model_dir = dir.path() / "model";
  options.input = dir.path() / "absent.csv";
  options.output = dir.path() / "out.jsonl";
  auto report = RunEmbedJob(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(), "CLIP model folder " + options.model_dir.string() +
                                           " does not exist (CLIP_MODEL_PATH)");
  fs::create_directories(options.model_dir);
  ASSERT_TRUE(WriteFileAtomic(options.model_dir / "config.json", "{}").ok());
  report = RunEmbedJob(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(),
            "CLIP model folder " + options.model_dir.string() +
                " is incomplete: missing model.safetensors, preprocessor_config.json");
  EXPECT_FALSE(fs::exists(options.output));
}

}  // namespace
}  // namespace reco::clip
