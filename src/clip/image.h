// Images for the CLIP vision tower: decoding (JPEG with libjpeg, PNG with libpng), resizing as
// PIL does, and the preprocessing of Hugging Face's CLIPImageProcessor (shorter side to
// `shortest_edge`, center crop, rescale, normalise).
//
// Decoding gives 8-bit RGB as PIL's Image.convert("RGB") does: grey is replicated, a palette is
// expanded, an alpha channel is dropped (not composited), 16-bit samples keep their high byte.
// EXIF orientation is not applied (neither does CLIPImageProcessor). Not read: CMYK/YCCK JPEGs,
// other formats (GIF, WebP, ...): InvalidArgument naming the file.
//
// Thread-safety: free functions, thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

#include "clip/clip_config.h"
#include "core/status.h"

namespace reco::clip {

// 8-bit RGB, row-major: pixels[(y * width + x) * 3 + channel].
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// Images larger than this (in pixels) are refused before their pixels are allocated.
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

// Decodes JPEG or PNG, recognised by their first bytes. `name` appears in errors.
Result<RgbImage> DecodeImage(std::span<const uint8_t> bytes, std::string_view name);
Result<RgbImage> DecodeImageFile(const std::filesystem::path& path);

// PIL's Image.resize with BICUBIC (a = -0.5) or BILINEAR and no reducing_gap: a separable
// filter whose support widens with the downscaling factor (antialiasing), fixed-point weights,
// the horizontal pass first, each pass rounded and clamped to 8 bits.
RgbImage ResizeImage(const RgbImage& image, int width, int height, Resample filter);

// The size CLIPImageProcessor resizes to: the shorter side becomes `shortest_edge`, the longer
// one `int(shortest_edge * long / short)` (truncated, as Python's int() does).
void ResizedSize(int width, int height, int shortest_edge, int& out_width, int& out_height);

// The vision tower's input: resize, center crop (zeros where the image is smaller than the crop),
// rescale and normalise; channels first, size 3 * crop_height * crop_width.
std::vector<float> PreprocessImage(const RgbImage& image, const PreprocessConfig& config);

// Encodes 8-bit RGB as a JPEG (tests and tools; `quality` 1..100).
Result<std::vector<uint8_t>> EncodeJpeg(const RgbImage& image, int quality);

}  // namespace reco::clip
