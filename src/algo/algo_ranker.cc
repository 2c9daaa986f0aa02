// Algorithm entry of "ranker" (rank/ranker.h): parses ranker.* settings, routes "<source>.*"
// settings to the recall sources, which are fitted through this table, and wraps the model.
#include <chrono>
#include <cstdio>
#include <memory>

#include "algo/algorithm_options.h"
#include "algo/algorithms.h"
#include "algo/content_eval.h"
#include "rank/ranker.h"

namespace reco::algo {
namespace {

constexpr std::string_view kRankerKeys =
    "ranker.sources, ranker.quota, ranker.rounds, ranker.depth, ranker.eta, "
    "ranker.label_fraction, ranker.recent_items, ranker.seed, ranker.threads, ranker.item_text, "
    "and <source>.*";

struct RankerSettings {
  rank::RankerOptions model;
  // ranker.item_text: a folder or file of item texts (algo/content_eval.h ItemTexts, e.g. a
  // MovieLens folder) for the content features; "" = the catalogue's texts the fit is given
  // (FitContext::item_texts), if any, else none (those columns are missing values).
  std::string item_text;
  std::vector<std::vector<Setting>> source_settings;  // per source
};

template <typename T>
std::string JoinList(const std::vector<T>& values) {
  std::string out;
  for (const T& v : values) {
    if (!out.empty()) out += ',';
    if constexpr (std::is_same_v<T, std::string>) {
      out += v;
    } else {
      out += std::to_string(v);
    }
  }
  return out;
}

Status ParseQuota(const Setting& s, rank::RankerOptions& o) {
  std::vector<int> quotas;
  for (const std::string& text : SplitList(s.second)) {
    RECO_ASSIGN_OR_RETURN(int q, ParseInt({s.first, text}));
    quotas.push_back(q);
  }
  o.quotas.clear();
  if (quotas.size() == 1) {
    o.quota = quotas[0];
  } else {
    o.quotas = quotas;
  }
  return Status::Ok();
}

Status ParseRankerKey(const Setting& s, rank::RankerOptions& o) {
  const std::string& k = s.first;
  if (k == "ranker.sources") {
    o.sources = SplitList(s.second);
    return Status::Ok();
  }
  if (k == "ranker.quota") return ParseQuota(s, o);
  int* int_target = k == "ranker.rounds"         ? &o.rounds
                    : k == "ranker.depth"        ? &o.depth
                    : k == "ranker.recent_items" ? &o.recent_items
                    : k == "ranker.threads"      ? &o.num_threads
                                                 : nullptr;
  if (int_target != nullptr) {
    RECO_ASSIGN_OR_RETURN(*int_target, ParseInt(s));
    return Status::Ok();
  }
  if (k == "ranker.eta") {
    RECO_ASSIGN_OR_RETURN(o.eta, ParseNumber(s));
    return Status::Ok();
  }
  if (k == "ranker.label_fraction") {
    RECO_ASSIGN_OR_RETURN(o.label_fraction, ParseNumber(s));
    return Status::Ok();
  }
  if (k == "ranker.seed") {
    RECO_ASSIGN_OR_RETURN(o.seed, ParseSeed(s));
    return Status::Ok();
  }
  return UnknownKey(s, "ranker", kRankerKeys);
}

// ranker.* into the options, "<source>.*" to that source (checked by its own entry).
Result<RankerSettings> ParseRankerSettings(const std::vector<Setting>& settings) {
  RankerSettings r;
  RECO_ASSIGN_OR_RETURN(std::vector<Setting> rest,
                        TakeOwnSettings(settings, "ranker.", [&r](const Setting& s) {
                          if (s.first == "ranker.item_text") {
                            if (s.second.empty()) {
                              return InvalidArgument("--set ranker.item_text: a path", s.first);
                            }
                            r.item_text = s.second;
                            return Status::Ok();
                          }
                          return ParseRankerKey(s, r.model);
                        }));
  if (Status st = rank::CheckRankerOptions(r.model); !st.ok()) {
    return InvalidArgument("--set " + st.message(), "ranker." + st.field());
  }
  for (const Setting& s : rest) {
    const std::string prefix = s.first.substr(0, s.first.find('.'));
    if (std::find(r.model.sources.begin(), r.model.sources.end(), prefix) ==
        r.model.sources.end()) {
      return UnknownKey(s, "ranker", kRankerKeys);
    }
  }
  RECO_ASSIGN_OR_RETURN(r.source_settings, RouteSettings(rest, r.model.sources, "ranker.sources"));
  return r;
}

// The model a fitted scorer holds, as a recall source of the ranker.
Result<rank::RecallSource> ToRecallSource(const FittedScorer& fitted) {
  const Scorer* s = fitted.scorer.get();
  if (const auto* m = dynamic_cast<const ItemCfScorer*>(s)) return rank::RecallSource(m->model());
  if (const auto* m = dynamic_cast<const Rp3betaScorer*>(s)) return rank::RecallSource(m->model());
  if (const auto* m = dynamic_cast<const IalsScorer*>(s)) return rank::RecallSource(m->model());
  if (const auto* m = dynamic_cast<const EaseScorer*>(s)) return rank::RecallSource(m->model());
  return InvalidArgument("algorithm \"" + fitted.algo + "\" cannot be a ranker source");
}

// Fits each source through the algorithm table with its routed settings; ranker.threads
// bounds the sources that train in parallel unless their own <source>.threads is set.
rank::SourceFitter TableFitter(const RankerSettings& r, const FitContext& context) {
  return [r, context](std::string_view kind, const Dataset& data) -> Result<rank::RecallSource> {
    if (kind == "popular") return rank::RecallSource::Popular(data);
    const size_t i = static_cast<size_t>(
        std::find(r.model.sources.begin(), r.model.sources.end(), kind) - r.model.sources.begin());
    std::vector<Setting> settings = r.source_settings[i];
    const std::string threads_key = std::string(kind) + ".threads";
    const bool has_threads = std::any_of(settings.begin(), settings.end(),
                                         [&](const Setting& s) { return s.first == threads_key; });
    if (!has_threads && r.model.num_threads > 0) {
      settings.emplace_back(threads_key, std::to_string(r.model.num_threads));
    }
    RECO_ASSIGN_OR_RETURN(FittedScorer fitted, FitScorer(kind, data, settings, context));
    return ToRecallSource(fitted);
  };
}

// The content of the features: each item's vector and words from the texts of ranker.item_text
// or else the catalogue's (context.item_texts), embedded with the context's embedder or, for a
// file or without one, the built-in text embedder fitted on those texts (default options).
// Null when there are no texts.
Result<std::shared_ptr<const rank::ItemContent>> FitItemContent(const Dataset& train,
                                                                const RankerSettings& r,
                                                                const FitContext& context) {
  const std::string_view what = r.item_text.empty() ? "ranker content" : "ranker.item_text";
  std::shared_ptr<const std::vector<content::TextDocument>> texts = context.item_texts;
  std::shared_ptr<const content::TextEmbedder> embedder = context.text_embedder;
  if (!r.item_text.empty()) {
    Result<std::vector<content::TextDocument>> read =
        ItemTexts(r.item_text, ingest::ImportFormat::kAuto);
    if (!read.ok()) return read.status().WithPrefix(what);
    texts = std::make_shared<const std::vector<content::TextDocument>>(std::move(read).value());
    embedder = nullptr;
  }
  if (texts == nullptr || texts->empty()) return std::shared_ptr<const rank::ItemContent>();
  if (embedder == nullptr) {
    content::TextEmbedderOptions options;
    options.num_threads = r.model.num_threads;
    Result<content::TextEmbedder> fitted = content::TextEmbedder::Fit(*texts, options);
    // A catalogue without text enough for one feature: the columns stay missing values.
    if (!fitted.ok() && r.item_text.empty() &&
        fitted.status().code() == StatusCode::kFailedPrecondition) {
      return std::shared_ptr<const rank::ItemContent>();
    }
    if (!fitted.ok()) return fitted.status().WithPrefix(what);
    embedder = std::make_shared<const content::TextEmbedder>(std::move(fitted).value());
  }
  return std::make_shared<const rank::ItemContent>(
      rank::BuildItemContent(train, *texts, *embedder));
}

class RankerScorer final : public Scorer {
 public:
  explicit RankerScorer(rank::RankerModel model) : model_(std::move(model)) {}
  void Score(uint32_t user, std::span<const uint32_t> history,
             std::span<float> scores) const override {
    // A failing prediction leaves every item at the lowest score: the user gets no ranking.
    if (!model_.ScoreItems(user, history, scores).ok()) {
      std::fill(scores.begin(), scores.end(), rank::RankerModel::kNotCandidate);
    }
  }
  Status Save(const std::filesystem::path& path, TimestampUs created) const override {
    return model_.Save(path, created);
  }

 private:
  rank::RankerModel model_;
};

std::vector<Setting> EffectiveSettings(const RankerSettings& r) {
  const rank::RankerOptions& o = r.model;
  std::vector<Setting> out = {
      {"ranker.sources", JoinList(o.sources)},
      {"ranker.quota", o.quotas.empty() ? std::to_string(o.quota) : JoinList(o.quotas)},
      {"ranker.rounds", std::to_string(o.rounds)},
      {"ranker.depth", std::to_string(o.depth)},
      {"ranker.eta", FormatDouble(o.eta)},
      {"ranker.label_fraction", FormatDouble(o.label_fraction)},
      {"ranker.recent_items", std::to_string(o.recent_items)},
      {"ranker.seed", std::to_string(o.seed)}};
  if (!r.item_text.empty()) out.emplace_back("ranker.item_text", r.item_text);
  for (const std::vector<Setting>& source : r.source_settings) {
    for (const Setting& s : source) {
      if (s.first.find(".threads") == std::string::npos) out.push_back(s);
    }
  }
  return out;
}

}  // namespace

Algorithm RankerAlgorithm() {
  return {
      "ranker",
      [](const std::vector<Setting>& settings) { return ParseRankerSettings(settings).status(); },
      [](const Dataset& train, const std::vector<Setting>& settings,
         const FitContext& context) -> Result<FittedScorer> {
        RECO_ASSIGN_OR_RETURN(RankerSettings r, ParseRankerSettings(settings));
        auto start = std::chrono::steady_clock::now();
        rank::RankerOptions o = r.model;
        o.show_progress = context.show_progress;
        o.fit_source = TableFitter(r, context);
        RECO_ASSIGN_OR_RETURN(o.content, FitItemContent(train, r, context));
        Result<rank::RankerModel> model = rank::RankerModel::Fit(train, o);
        if (!model.ok()) return model.status();
        if (context.show_progress) {
          const rank::RankerFitStats& st = model->fit_stats();
          std::fprintf(stderr,
                       "ranker: trained on %zu users, %zu candidates (%zu positive), content "
                       "features %s\n",
                       st.groups, st.rows, st.positive_rows,
                       o.content == nullptr  ? "missing (no item texts)"
                       : r.item_text.empty() ? "from the catalogue's texts"
                                             : "from ranker.item_text");
        }
        FittedScorer fitted;
        fitted.train_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        fitted.algo = "ranker";
        fitted.options = EffectiveSettings(r);
        fitted.scorer = std::make_unique<RankerScorer>(std::move(model).value());
        return fitted;
      }};
}

}  // namespace reco::algo
