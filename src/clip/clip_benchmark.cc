// Images per second of the CLIP image encoder at ViT-B/32's size (config.json defaults: 12 layers,
// width 768, patch 32, 224 x 224) with random weights, and of the preprocessing of a 640 x 480
// photo. Random weights cost the same arithmetic as the real ones; no model folder is needed.
//   build-bench/src/clip/clip_benchmark --benchmark_min_time=10
// BM_EncodeImages/B: B images per call on one thread; with ->Threads(T) T calls run at once (the
// embedding job's layout: one batch per worker thread).
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "clip/clip_model.h"
#include "clip/image.h"

namespace reco::clip {
namespace {

const ClipModel& RandomVitB32() {
  static const std::unique_ptr<ClipModel> model = [] {
    ClipConfig config;  // every default is ViT-B/32's
    std::mt19937 rng(42);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    TensorSource source = [&](const std::string& name, std::span<const int64_t> shape)
        -> Result<std::vector<float>> {
      if (name == "logit_scale") return NotFound("unused");
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      std::vector<float> v(static_cast<size_t>(n));
      for (float& x : v) x = normal(rng);
      if (name.find("norm") != std::string::npos && name.ends_with(".weight")) {
        for (float& x : v) x += 1.0f;
      }
      return v;
    };
    auto m = ClipModel::FromTensors(config, source, {.vision = true, .text = false}, std::nullopt);
    if (!m.ok()) std::abort();
    return std::move(*m);
  }();
  return *model;
}

void BM_EncodeImages(benchmark::State& state) {
  const ClipModel& model = RandomVitB32();
  const size_t batch = static_cast<size_t>(state.range(0));
  const int s = model.config().vision.image_size;
  std::vector<float> pixels(batch * 3 * s * s);
  std::mt19937 rng(7 + state.thread_index());
  std::normal_distribution<float> normal;
  for (float& p : pixels) p = normal(rng);
  for (auto _ : state) {
    auto out = model.EncodeImages(pixels, batch);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_EncodeImages)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EncodeImages)->Arg(8)->Threads(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PreprocessPhoto(benchmark::State& state) {
  RgbImage photo{640, 480, std::vector<uint8_t>(640 * 480 * 3)};
  std::mt19937 rng(3);
  for (uint8_t& p : photo.pixels) p = static_cast<uint8_t>(rng());
  const PreprocessConfig config;
  for (auto _ : state) {
    auto out = PreprocessImage(photo, config);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PreprocessPhoto)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace reco::clip

BENCHMARK_MAIN();
