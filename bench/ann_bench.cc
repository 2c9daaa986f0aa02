// ANN recall and latency of the item-vector index (content/ann_index.h) against exact search.
//
//   reco_ann_bench synthetic [N=100000] [DIM=64] [QUERIES=1000] [THREADS=2] [SPREAD=0.5]
//   reco_ann_bench movielens DIR/ml-latest-small [THREADS=2]
//
// synthetic: N vectors in DIM dimensions drawn around 1000 Gaussian cluster centres of norm 1 with
// Gaussian noise of norm SPREAD (seeded), QUERIES fresh vectors of the same mixture; SPREAD 0
// draws every vector from one isotropic Gaussian instead (no structure at all). movielens: the
// built-in text embedder fitted on movies.csv (title + genres) with the default options of `reco
// train`, every movie's vector indexed, and every movie as a query for its 10 neighbours (itself
// excluded). Prints build times, then for ef_search 16..512 recall@10 of HNSW against the
// exhaustive scan and per-query latency (median, p99) of both.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "content/ann_index.h"
#include "content/text_embedder.h"

namespace {

using Clock = std::chrono::steady_clock;
using reco::content::AnnHit;
using reco::content::AnnIndex;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

struct Exact {
  std::vector<std::set<uint32_t>> truth;  // per query
  double p50_us = 0, p99_us = 0;
};

// The exhaustive scan's answers (the reference) and its latency; `self[i]` is a label query i
// must not return (or UINT32_MAX).
Exact ExactAnswers(const AnnIndex& index, const std::vector<float>& queries, size_t dim, size_t k,
                   const std::vector<uint32_t>& self) {
  Exact e;
  std::vector<double> us;
  for (size_t q = 0; q < queries.size() / dim; ++q) {
    const uint32_t skip = self[q];
    auto t0 = Clock::now();
    std::vector<AnnHit> exact =
        index.ExactSearch(std::span<const float>(queries.data() + q * dim, dim), k,
                          [skip](uint32_t label) { return label != skip; });
    us.push_back(Seconds(t0) * 1e6);
    std::set<uint32_t> truth;
    for (const AnnHit& h : exact) truth.insert(h.label);
    e.truth.push_back(std::move(truth));
  }
  e.p50_us = Percentile(us, 0.5);
  e.p99_us = Percentile(us, 0.99);
  return e;
}

// Recall@k of Search against the exact answers, and Search's latency.
void Measure(const char* what, const AnnIndex& index, size_t n, size_t dim, double build_s,
             size_t ef, const std::vector<float>& queries, size_t k,
             const std::vector<uint32_t>& self, const Exact& exact) {
  std::vector<double> us;
  size_t hits = 0, total = 0;
  for (size_t q = 0; q < queries.size() / dim; ++q) {
    const uint32_t skip = self[q];
    auto t0 = Clock::now();
    std::vector<AnnHit> approx = index.Search(std::span<const float>(queries.data() + q * dim, dim),
                                              k, [skip](uint32_t label) { return label != skip; });
    us.push_back(Seconds(t0) * 1e6);
    for (const AnnHit& h : approx) hits += exact.truth[q].count(h.label);
    total += exact.truth[q].size();
  }
  std::printf(
      "%s n=%zu dim=%zu build_seconds=%.2f ef_search=%zu recall_at_10=%.4f ann_p50_us=%.0f "
      "ann_p99_us=%.0f exact_p50_us=%.0f exact_p99_us=%.0f\n",
      what, n, dim, build_s, ef, total ? static_cast<double>(hits) / total : 0.0,
      Percentile(us, 0.5), Percentile(us, 0.99), exact.p50_us, exact.p99_us);
  std::fflush(stdout);
}

// Recall and latency for each candidate-list size (the index is built once).
void Sweep(const char* what, AnnIndex& index, size_t n, size_t dim, double build_s,
           const std::vector<float>& queries, const std::vector<uint32_t>& self) {
  const Exact exact = ExactAnswers(index, queries, dim, 10, self);
  for (size_t ef : {16, 32, 64, 128, 256, 512}) {
    index.SetEfSearch(ef);
    Measure(what, index, n, dim, build_s, ef, queries, 10, self, exact);
  }
  index.SetEfSearch(reco::content::AnnOptions{}.ef_search);
}

// `spread` = 0: every vector is its own Gaussian direction (no structure, the hardest case for
// a graph index); > 0: vectors around 1000 unit-norm centres, noise of norm about `spread`.
std::vector<float> Mixture(size_t n, size_t dim, const std::vector<float>& centres, float spread,
                           uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(
      0.0f, spread > 0 ? spread / std::sqrt(static_cast<float>(dim)) : 1.0f);
  const size_t clusters = centres.size() / dim;
  std::uniform_int_distribution<size_t> pick(0, clusters - 1);
  std::vector<float> out(n * dim);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = pick(rng);
    for (size_t j = 0; j < dim; ++j) {
      out[i * dim + j] = (spread > 0 ? centres[c * dim + j] : 0.0f) + noise(rng);
    }
  }
  return out;
}

int Synthetic(size_t n, size_t dim, size_t queries, int threads, float spread) {
  std::mt19937 rng(42);
  std::normal_distribution<float> g;
  std::vector<float> centres(1000 * dim);
  for (float& v : centres) v = g(rng) / std::sqrt(static_cast<float>(dim));
  const std::vector<float> data = Mixture(n, dim, centres, spread, 1);
  std::vector<uint32_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = static_cast<uint32_t>(i);
  AnnIndex index(dim);
  auto t0 = Clock::now();
  if (reco::Status st = index.AddBatch(labels, data, threads); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  const double build_s = Seconds(t0);
  const std::vector<float> q = Mixture(queries, dim, centres, spread, 2);
  Sweep(spread > 0 ? "synthetic_clustered" : "synthetic_gaussian", index, n, dim, build_s, q,
        std::vector<uint32_t>(queries, UINT32_MAX));
  return 0;
}

// One line of a CSV file with quoted fields ("a, b" keeps its comma).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back().push_back(c);
    }
  }
  return out;
}

int MovieLens(const std::string& dir, int threads) {
  std::ifstream in(dir + "/movies.csv");
  if (!in) {
    std::fprintf(stderr, "cannot read %s/movies.csv\n", dir.c_str());
    return 1;
  }
  std::vector<reco::content::TextDocument> docs;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f = CsvFields(line);
    if (f.size() < 3) continue;
    std::string genres = f[2];
    std::replace(genres.begin(), genres.end(), '|', '\n');
    docs.push_back({f[0], f[1] + "\n" + genres});
  }
  reco::content::TextEmbedderOptions options;  // the defaults of `reco train`
  options.num_threads = threads;
  auto t0 = Clock::now();
  reco::Result<reco::content::TextEmbedder> model = reco::content::TextEmbedder::Fit(docs, options);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  const double fit_s = Seconds(t0);
  t0 = Clock::now();
  const size_t dim = model->dimension();
  std::vector<uint32_t> labels;
  std::vector<float> data;
  for (size_t i = 0; i < docs.size(); ++i) {
    std::vector<float> v = model->Embed(docs[i].text);
    if (v.empty()) continue;
    labels.push_back(static_cast<uint32_t>(i));
    data.insert(data.end(), v.begin(), v.end());
  }
  const double embed_s = Seconds(t0);
  AnnIndex index(dim);
  t0 = Clock::now();
  if (reco::Status st = index.AddBatch(labels, data, threads); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  const double build_s = Seconds(t0);
  std::printf(
      "movielens items=%zu vectors=%zu vocabulary=%zu fit_seconds=%.2f "
      "embed_seconds=%.3f\n",
      docs.size(), labels.size(), model->vocabulary_size(), fit_s, embed_s);
  Sweep("movielens", index, labels.size(), dim, build_s, data, labels);
  // What the neighbours look like: Toy Story's.
  std::vector<AnnHit> hits = index.Search(std::span<const float>(data.data(), dim), 6);
  std::printf("neighbours of %s:",
              docs[labels[0]].text.substr(0, docs[labels[0]].text.find('\n')).c_str());
  for (const AnnHit& h : hits) {
    const std::string& t = docs[h.label].text;
    std::printf(" [%s %.3f]", t.substr(0, t.find('\n')).c_str(), h.score);
  }
  std::printf("\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "synthetic") {
    const size_t n = argc > 2 ? std::stoul(argv[2]) : 100000;
    const size_t dim = argc > 3 ? std::stoul(argv[3]) : 64;
    const size_t queries = argc > 4 ? std::stoul(argv[4]) : 1000;
    const int threads = argc > 5 ? std::stoi(argv[5]) : 2;
    const float spread = argc > 6 ? std::stof(argv[6]) : 0.5f;
    return Synthetic(n, dim, queries, threads, spread);
  }
  if (mode == "movielens" && argc > 2) {
    return MovieLens(argv[2], argc > 3 ? std::stoi(argv[3]) : 2);
  }
  std::fprintf(stderr,
               "usage: reco_ann_bench synthetic [N] [DIM] [QUERIES] [THREADS] [SPREAD]\n"
               "       reco_ann_bench movielens DIR/ml-latest-small [THREADS]\n");
  return 2;
}
