#include "clip/image.h"

// libjpeg and libpng report errors by longjmp. The decoders below keep every C++ object in the
// caller's frame (DecodeImage) and nothing with a destructor in the frames that call setjmp.
#include <jpeglib.h>
#include <jerror.h>  // JWRN_JPEG_EOF
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "core/file_util.h"

namespace reco::clip {
namespace {

constexpr size_t kErrorBytes = 320;  // room for a prefix and JMSG_LENGTH_MAX (200)

// ---- JPEG -------------------------------------------------------------------------------------

struct JpegErrorManager {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  bool truncated = false;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Warnings are silent, but a file that ends early fails as PIL's "image file is truncated" does
// (libjpeg would fill the rest with grey).
void OnJpegMessage(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) err->truncated = true;
}

bool DecodeJpegInto(const uint8_t* data, size_t size, RgbImage* out, char* error) {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = OnJpegError;
  err.mgr.emit_message = OnJpegMessage;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    std::snprintf(error, kErrorBytes, "not a readable JPEG: %s", err.message);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&cinfo);
    std::snprintf(error, kErrorBytes, "CMYK JPEG images are not supported (convert to RGB)");
    return false;
  }
  if (static_cast<int64_t>(cinfo.image_width) * cinfo.image_height > kMaxImagePixels) {
    jpeg_destroy_decompress(&cinfo);
    std::snprintf(error, kErrorBytes, "%ux%u pixels is more than the limit of %lld",
                  cinfo.image_width, cinfo.image_height,
                  static_cast<long long>(kMaxImagePixels));
    return false;
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  out->width = static_cast<int>(cinfo.output_width);
  out->height = static_cast<int>(cinfo.output_height);
  out->pixels.resize(static_cast<size_t>(out->width) * out->height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out->pixels.data() + static_cast<size_t>(cinfo.output_scanline) * out->width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (err.truncated) {
    std::snprintf(error, kErrorBytes, "the JPEG data ends early (a truncated file)");
    return false;
  }
  return true;
}

// ---- PNG --------------------------------------------------------------------------------------

struct PngSource {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char* error;
};

void OnPngRead(png_structp png, png_bytep out, png_size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->pos) png_error(png, "the PNG data ends early (a truncated file)");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

[[noreturn]] void OnPngError(png_structp png, png_const_charp message) {
  auto* error = static_cast<char*>(png_get_error_ptr(png));
  std::snprintf(error, kErrorBytes, "not a readable PNG: %s", message);
  std::longjmp(png_jmpbuf(png), 1);
}

void OnPngWarning(png_structp, png_const_charp) {}

// Reads the rows into `scratch` (channels as the file has them after 16->8 and palette/low-bit
// expansion), then converts to RGB in the caller.
bool DecodePngInto(const uint8_t* data, size_t size, std::vector<uint8_t>* scratch, int* width,
                   int* height, int* channels, char* error) {
  PngSource src{data, size, 0, error};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, error, OnPngError, OnPngWarning);
  if (png == nullptr) {
    std::snprintf(error, kErrorBytes, "libpng could not start");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  if (info == nullptr) png_error(png, "out of memory");
  png_set_read_fn(png, &src, OnPngRead);
  png_read_info(png, info);
  const png_uint_32 w = png_get_image_width(png, info);
  const png_uint_32 h = png_get_image_height(png, info);
  if (static_cast<int64_t>(w) * h > kMaxImagePixels) png_error(png, "too many pixels");
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (bit_depth == 16) png_set_strip_16(png);  // keeps the high byte, as PIL's RGB;16B does
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  *channels = png_get_channels(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  if (row_bytes != static_cast<size_t>(w) * (*channels)) png_error(png, "unexpected row layout");
  scratch->resize(row_bytes * h);
  for (int pass = 0; pass < passes; ++pass) {
    for (png_uint_32 y = 0; y < h; ++y) png_read_row(png, scratch->data() + y * row_bytes, nullptr);
  }
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  *width = static_cast<int>(w);
  *height = static_cast<int>(h);
  return true;
}

// ---- resize -----------------------------------------------------------------------------------

constexpr int kPrecisionBits = 32 - 8 - 2;  // PIL's fixed point for 8-bit images

double BicubicFilter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

double BilinearFilter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// For each output position: the first input index, the tap count and fixed-point weights.
struct Taps {
  std::vector<int> first;
  std::vector<int> count;
  std::vector<int32_t> weights;  // out_size * width, row i at i * width
  int width = 0;
};

Taps ComputeTaps(int in_size, int out_size, Resample filter) {
  const double support_base = filter == Resample::kBicubic ? 2.0 : 1.0;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = support_base * filter_scale;
  Taps t;
  t.width = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weights.assign(static_cast<size_t>(out_size) * t.width, 0);
  std::vector<double> k(t.width);
  for (int i = 0; i < out_size; ++i) {
    const double center = (i + 0.5) * scale;
    int lo = static_cast<int>(center - support + 0.5);  // truncates toward zero, as C does
    lo = std::max(lo, 0);
    int hi = std::min(static_cast<int>(center + support + 0.5), in_size);
    const int n = std::min(hi - lo, t.width);
    double sum = 0;
    for (int x = 0; x < n; ++x) {
      const double arg = (x + lo - center + 0.5) / filter_scale;
      k[x] = filter == Resample::kBicubic ? BicubicFilter(arg) : BilinearFilter(arg);
      sum += k[x];
    }
    for (int x = 0; x < n; ++x) {
      const double w = sum != 0.0 ? k[x] / sum : k[x];
      const double fixed = w * (1 << kPrecisionBits);
      t.weights[static_cast<size_t>(i) * t.width + x] =
          static_cast<int32_t>(w < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    t.first[i] = lo;
    t.count[i] = n;
  }
  return t;
}

inline uint8_t Clip8(int64_t v) {
  v >>= kPrecisionBits;
  return static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255));
}

RgbImage ResizeHorizontal(const RgbImage& in, int out_width, Resample filter) {
  const Taps t = ComputeTaps(in.width, out_width, filter);
  RgbImage out{out_width, in.height, std::vector<uint8_t>(static_cast<size_t>(out_width) *
                                                          in.height * 3)};
  for (int y = 0; y < in.height; ++y) {
    const uint8_t* row = in.pixels.data() + static_cast<size_t>(y) * in.width * 3;
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * out_width * 3;
    for (int x = 0; x < out_width; ++x) {
      const int32_t* w = t.weights.data() + static_cast<size_t>(x) * t.width;
      const uint8_t* src = row + static_cast<size_t>(t.first[x]) * 3;
      int64_t s0 = 1 << (kPrecisionBits - 1), s1 = s0, s2 = s0;
      for (int k = 0; k < t.count[x]; ++k) {
        s0 += int64_t{src[3 * k]} * w[k];
        s1 += int64_t{src[3 * k + 1]} * w[k];
        s2 += int64_t{src[3 * k + 2]} * w[k];
      }
      dst[3 * x] = Clip8(s0);
      dst[3 * x + 1] = Clip8(s1);
      dst[3 * x + 2] = Clip8(s2);
    }
  }
  return out;
}

RgbImage ResizeVertical(const RgbImage& in, int out_height, Resample filter) {
  const Taps t = ComputeTaps(in.height, out_height, filter);
  const size_t stride = static_cast<size_t>(in.width) * 3;
  RgbImage out{in.width, out_height, std::vector<uint8_t>(stride * out_height)};
  std::vector<int64_t> acc(stride);
  for (int y = 0; y < out_height; ++y) {
    std::fill(acc.begin(), acc.end(), int64_t{1} << (kPrecisionBits - 1));
    const int32_t* w = t.weights.data() + static_cast<size_t>(y) * t.width;
    for (int k = 0; k < t.count[y]; ++k) {
      const uint8_t* src = in.pixels.data() + static_cast<size_t>(t.first[y] + k) * stride;
      for (size_t i = 0; i < stride; ++i) acc[i] += int64_t{src[i]} * w[k];
    }
    uint8_t* dst = out.pixels.data() + static_cast<size_t>(y) * stride;
    for (size_t i = 0; i < stride; ++i) dst[i] = Clip8(acc[i]);
  }
  return out;
}

bool StartsWith(std::span<const uint8_t> bytes, std::initializer_list<uint8_t> magic) {
  return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
}

}  // namespace

Result<RgbImage> DecodeImage(std::span<const uint8_t> bytes, std::string_view name) {
  char error[kErrorBytes] = {0};
  RgbImage image;
  if (StartsWith(bytes, {0xFF, 0xD8, 0xFF})) {
    if (!DecodeJpegInto(bytes.data(), bytes.size(), &image, error)) {
      return InvalidArgument(std::string(name) + ": " + error);
    }
    return image;
  }
  if (StartsWith(bytes, {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'})) {
    std::vector<uint8_t> scratch;
    int channels = 0;
    if (!DecodePngInto(bytes.data(), bytes.size(), &scratch, &image.width, &image.height,
                       &channels, error)) {
      return InvalidArgument(std::string(name) + ": " + error);
    }
    const size_t n = static_cast<size_t>(image.width) * image.height;
    if (channels == 3) {
      image.pixels = std::move(scratch);
      return image;
    }
    image.pixels.resize(n * 3);
    for (size_t i = 0; i < n; ++i) {
      const uint8_t* p = scratch.data() + i * channels;
      uint8_t* q = image.pixels.data() + i * 3;
      if (channels <= 2) {  // grey (+ alpha)
        q[0] = q[1] = q[2] = p[0];
      } else {  // RGBA: alpha dropped, as Image.convert("RGB") does
        q[0] = p[0];
        q[1] = p[1];
        q[2] = p[2];
      }
    }
    return image;
  }
  return InvalidArgument(std::string(name) + ": not a JPEG or PNG image");
}

Result<RgbImage> DecodeImageFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return NotFound(path.string() + " not found");
  RECO_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return DecodeImage(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
                     path.string());
}

RgbImage ResizeImage(const RgbImage& image, int width, int height, Resample filter) {
  RgbImage out = image;
  if (width != image.width) out = ResizeHorizontal(out, width, filter);
  if (height != image.height) out = ResizeVertical(out, height, filter);
  return out;
}

void ResizedSize(int width, int height, int shortest_edge, int& out_width, int& out_height) {
  if (width <= height) {
    out_width = shortest_edge;
    out_height = static_cast<int>(static_cast<int64_t>(shortest_edge) * height / width);
  } else {
    out_height = shortest_edge;
    out_width = static_cast<int>(static_cast<int64_t>(shortest_edge) * width / height);
  }
}

std::vector<float> PreprocessImage(const RgbImage& image, const PreprocessConfig& config) {
  RgbImage resized;
  const RgbImage* src = &image;
  if (config.do_resize) {
    int w = 0, h = 0;
    ResizedSize(image.width, image.height, config.shortest_edge, w, h);
    resized = ResizeImage(image, w, h, config.resample);
    src = &resized;
  }
  int crop_h = src->height, crop_w = src->width, top = 0, left = 0;
  if (config.do_center_crop) {
    crop_h = config.crop_height;
    crop_w = config.crop_width;
    // Python's floor division: a crop larger than the image pads it with zeros on both sides.
    auto floor_half = [](int d) { return d >= 0 ? d / 2 : -((-d + 1) / 2); };
    top = floor_half(src->height - crop_h);
    left = floor_half(src->width - crop_w);
  }
  const size_t plane = static_cast<size_t>(crop_h) * crop_w;
  std::vector<float> out(3 * plane);
  for (int c = 0; c < 3; ++c) {
    const float scale = config.do_rescale ? config.rescale_factor : 1.0f;
    const float mean = config.do_normalize ? config.image_mean[c] : 0.0f;
    const float std = config.do_normalize ? config.image_std[c] : 1.0f;
    for (int y = 0; y < crop_h; ++y) {
      const int sy = y + top;
      for (int x = 0; x < crop_w; ++x) {
        const int sx = x + left;
        float v = 0.0f;
        if (sy >= 0 && sy < src->height && sx >= 0 && sx < src->width) {
          v = src->pixels[(static_cast<size_t>(sy) * src->width + sx) * 3 + c];
        }
        out[c * plane + static_cast<size_t>(y) * crop_w + x] = (v * scale - mean) / std;
      }
    }
  }
  return out;
}

Result<std::vector<uint8_t>> EncodeJpeg(const RgbImage& image, int quality) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3) {
    return InvalidArgument("EncodeJpeg: the pixels do not match width x height x 3");
  }
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);  // the default error_exit ends the process: inputs checked
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, std::clamp(quality, 1, 100), TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    auto* row = const_cast<JSAMPROW>(image.pixels.data() +
                                     static_cast<size_t>(cinfo.next_scanline) * image.width * 3);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

}  // namespace reco::clip
