#include "serving/scenario.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "core/json_writer.h"

namespace reco {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

struct SourceName {
  std::string_view name;
  RecallSourceKind kind;
};
constexpr SourceName kSourceNames[] = {
    {"recs", RecallSourceKind::kUserRecs}, {"swing", RecallSourceKind::kSwing},
    {"itemcf", RecallSourceKind::kItemCf}, {"popular", RecallSourceKind::kPopular},
    {"hot", RecallSourceKind::kPopular},   {"category_popular", RecallSourceKind::kCategoryPopular},
    {"latest", RecallSourceKind::kLatest}, {"vector", RecallSourceKind::kVector},
};
constexpr std::string_view kSourceList =
    "recs, swing, itemcf, popular (or hot), category_popular, latest, vector";

Status FieldError(const std::string& field, const std::string& problem) {
  return InvalidArgument(field + ": " + problem, field);
}

std::string Quoted(std::string_view text) { return "\"" + std::string(text.substr(0, 64)) + "\""; }

Result<RecallSourceKind> ParseSource(element value, const std::string& field) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return FieldError(field, "must be a string naming a recall source");
  }
  for (const SourceName& s : kSourceNames) {
    if (s.name == text) return s.kind;
  }
  return FieldError(
      field, "unknown source " + Quoted(text) + "; known sources: " + std::string(kSourceList));
}

Result<std::string> ParseString(element value, const std::string& field) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS)
    return FieldError(field, "must be a string");
  return std::string(text);
}

Result<bool> ParseBool(element value, const std::string& field) {
  bool b = false;
  if (value.get_bool().get(b) != simdjson::SUCCESS)
    return FieldError(field, "must be true or false");
  return b;
}

Result<int> ParseInt(element value, const std::string& field, int min, int max) {
  int64_t v = 0;
  double d = 0;
  if (value.get_int64().get(v) != simdjson::SUCCESS) {
    // 10.0 is accepted as 10; 10.5 is not.
    if (value.get_double().get(d) != simdjson::SUCCESS || d != std::floor(d) || std::abs(d) > 1e9) {
      return FieldError(
          field, "must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
    }
    v = static_cast<int64_t>(d);
  }
  if (v < min || v > max) {
    return FieldError(field, "must be in " + std::to_string(min) + ".." + std::to_string(max) +
                                 ", got " + std::to_string(v));
  }
  return static_cast<int>(v);
}

Result<std::vector<std::string>> ParseStrings(element value, const std::string& field) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return FieldError(field, "must be an array of strings");
  }
  std::vector<std::string> out;
  size_t i = 0;
  for (element e : array) {
    const std::string at = field + "[" + std::to_string(i++) + "]";
    std::string_view text;
    if (e.get_string().get(text) != simdjson::SUCCESS || text.empty()) {
      return FieldError(at, "must be a non-empty string");
    }
    if (text.size() > 256) return FieldError(at, "is longer than 256 bytes");
    if (std::find(out.begin(), out.end(), text) == out.end()) out.emplace_back(text);
  }
  if (out.size() > kMaxFilterValues) {
    return FieldError(field, "has more than " + std::to_string(kMaxFilterValues) + " values");
  }
  return out;
}

// Calls `read` for each field of the object `value`.
template <typename Fn>
Status ForEachField(element value, const std::string& field, Fn&& read) {
  object obj;
  if (value.get_object().get(obj) != simdjson::SUCCESS)
    return FieldError(field, "must be an object");
  for (auto kv : obj) {
    const std::string key(kv.key);
    RECO_RETURN_IF_ERROR(read(key, kv.value, field.empty() ? key : field + "." + key));
  }
  return Status::Ok();
}

Status UnknownField(const std::string& field, std::string_view expected) {
  return FieldError(field, "unknown field; expected one of " + std::string(expected));
}

Result<RecallSpec> ParseRecallEntry(element value, const std::string& field) {
  RecallSpec spec;
  bool has_source = false;
  RECO_RETURN_IF_ERROR(ForEachField(
      value, field, [&](const std::string& key, element v, const std::string& at) -> Status {
        if (key == "source") {
          RECO_ASSIGN_OR_RETURN(spec.source, ParseSource(v, at));
          has_source = true;
        } else if (key == "quota") {
          RECO_ASSIGN_OR_RETURN(spec.quota, ParseInt(v, at, 1, kMaxQuota));
        } else {
          return UnknownField(at, "source, quota");
        }
        return Status::Ok();
      }));
  if (!has_source) return FieldError(field + ".source", "is required");
  return spec;
}

Result<std::vector<RecallSpec>> ParseRecall(element value) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return FieldError("recall", "must be an array of {\"source\", \"quota\"}");
  }
  std::vector<RecallSpec> out;
  for (element e : array) {
    const std::string at = "recall[" + std::to_string(out.size()) + "]";
    RECO_ASSIGN_OR_RETURN(RecallSpec spec, ParseRecallEntry(e, at));
    for (const RecallSpec& other : out) {
      if (other.source == spec.source) {
        return FieldError(at + ".source", "source \"" + std::string(RecallSourceName(spec.source)) +
                                              "\" is listed twice");
      }
    }
    out.push_back(spec);
    if (out.size() > kMaxRecallSources) {
      return FieldError("recall",
                        "has more than " + std::to_string(kMaxRecallSources) + " sources");
    }
  }
  if (out.empty()) return FieldError("recall", "must name at least one source");
  return out;
}

Result<std::vector<RecallSourceKind>> ParseFallback(element value) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return FieldError("fallback", "must be an array of source names");
  }
  std::vector<RecallSourceKind> out;
  for (element e : array) {
    const std::string at = "fallback[" + std::to_string(out.size()) + "]";
    RECO_ASSIGN_OR_RETURN(RecallSourceKind kind, ParseSource(e, at));
    if (std::find(out.begin(), out.end(), kind) != out.end()) {
      return FieldError(at,
                        "source \"" + std::string(RecallSourceName(kind)) + "\" is listed twice");
    }
    out.push_back(kind);
    if (out.size() > kMaxRecallSources) {
      return FieldError("fallback",
                        "has more than " + std::to_string(kMaxRecallSources) + " sources");
    }
  }
  return out;
}

Status ParseFilters(element value, ScenarioFilters& f) {
  return ForEachField(
      value, "filters", [&](const std::string& key, element v, const std::string& at) -> Status {
        if (key == "categories") {
          RECO_ASSIGN_OR_RETURN(f.categories, ParseStrings(v, at));
        } else if (key == "labels") {
          RECO_ASSIGN_OR_RETURN(f.labels, ParseStrings(v, at));
        } else if (key == "labels_match") {
          RECO_ASSIGN_OR_RETURN(std::string m, ParseString(v, at));
          if (m != "any" && m != "all") return FieldError(at, "must be \"any\" or \"all\"");
          f.labels_match = m == "all" ? LabelMatch::kAll : LabelMatch::kAny;
        } else if (key == "exclude_seen") {
          RECO_ASSIGN_OR_RETURN(f.exclude_seen, ParseBool(v, at));
        } else if (key == "session_dedup") {
          RECO_ASSIGN_OR_RETURN(f.session_dedup, ParseBool(v, at));
        } else if (key == "exclude_hidden") {
          RECO_ASSIGN_OR_RETURN(bool b, ParseBool(v, at));
          if (!b) return FieldError(at, "hidden items are never served; only true is accepted");
        } else {
          return UnknownField(at,
                              "categories, labels, labels_match, exclude_seen, session_dedup, "
                              "exclude_hidden");
        }
        return Status::Ok();
      });
}

Status ParseRerank(element value, RerankSpec& r) {
  return ForEachField(
      value, "rerank", [&](const std::string& key, element v, const std::string& at) -> Status {
        if (key == "kind") {
          RECO_ASSIGN_OR_RETURN(std::string k, ParseString(v, at));
          if (k == "none") {
            r.kind = RerankKind::kNone;
          } else if (k == "diversity") {
            r.kind = RerankKind::kDiversity;
          } else if (k == "mmr") {
            r.kind = RerankKind::kMmr;
          } else {
            return FieldError(at,
                              "unknown rerank " + Quoted(k) + "; expected none, diversity or mmr");
          }
        } else if (key == "window") {
          RECO_ASSIGN_OR_RETURN(r.window, ParseInt(v, at, 1, kMaxRerankWindow));
        } else if (key == "max_per_category") {
          RECO_ASSIGN_OR_RETURN(r.max_per_category, ParseInt(v, at, 1, kMaxRerankWindow));
        } else if (key == "lambda") {
          double d = 0;
          if (v.get_double().get(d) != simdjson::SUCCESS || !(d >= 0 && d <= 1)) {
            return FieldError(at, "must be a number in [0, 1]");
          }
          r.lambda = d;
        } else {
          return UnknownField(at, "kind, window, max_per_category, lambda");
        }
        return Status::Ok();
      });
}

Status ParseRanker(element value, RankerKind& ranker) {
  std::string_view text;
  if (value.is_null()) {
    ranker = RankerKind::kNone;
  } else if (value.get_string().get(text) != simdjson::SUCCESS) {
    return FieldError("ranker", "must be \"none\" or \"ranker\"");
  } else if (text == "none") {
    ranker = RankerKind::kNone;
  } else if (text == "ranker" || text == "xgboost") {
    ranker = RankerKind::kLearned;
  } else {
    return FieldError("ranker", "unknown ranker " + Quoted(text) + "; expected none or ranker");
  }
  return Status::Ok();
}

Status ParseTopField(const std::string& key, element v, ScenarioConfig& s, bool& has_recall) {
  if (key == "name") {
    RECO_ASSIGN_OR_RETURN(std::string name, ParseString(v, "name"));
    if (name != s.name) {
      return FieldError(
          "name", "the body names " + Quoted(name) + " but the scenario is " + Quoted(s.name));
    }
  } else if (key == "description") {
    RECO_ASSIGN_OR_RETURN(s.description, ParseString(v, "description"));
    if (s.description.size() > 1024) return FieldError("description", "is longer than 1024 bytes");
  } else if (key == "recall") {
    RECO_ASSIGN_OR_RETURN(s.recall, ParseRecall(v));
    has_recall = true;
  } else if (key == "filters") {
    RECO_RETURN_IF_ERROR(ParseFilters(v, s.filters));
  } else if (key == "ranker") {
    RECO_RETURN_IF_ERROR(ParseRanker(v, s.ranker));
  } else if (key == "rerank") {
    RECO_RETURN_IF_ERROR(ParseRerank(v, s.rerank));
  } else if (key == "fallback") {
    RECO_ASSIGN_OR_RETURN(s.fallback, ParseFallback(v));
  } else if (key == "template") {
    RECO_ASSIGN_OR_RETURN(s.template_name, ParseString(v, "template"));
  } else if (key == "created" || key == "updated") {
    // Read-only fields of a GET answer: a client may send back what it read.
  } else {
    return UnknownField(key, "name, description, recall, filters, ranker, rerank, fallback");
  }
  return Status::Ok();
}

const char* RerankName(RerankKind kind) {
  switch (kind) {
    case RerankKind::kDiversity:
      return "diversity";
    case RerankKind::kMmr:
      return "mmr";
    case RerankKind::kNone:
      break;
  }
  return "none";
}

}  // namespace

std::string_view RecallSourceName(RecallSourceKind kind) {
  switch (kind) {
    case RecallSourceKind::kUserRecs:
      return "recs";
    case RecallSourceKind::kSwing:
      return "swing";
    case RecallSourceKind::kItemCf:
      return "itemcf";
    case RecallSourceKind::kPopular:
      return "popular";
    case RecallSourceKind::kCategoryPopular:
      return "category_popular";
    case RecallSourceKind::kLatest:
      return "latest";
    case RecallSourceKind::kVector:
      return "vector";
  }
  return "popular";
}

Status CheckScenarioName(std::string_view name) {
  if (name.empty() || name.size() > kMaxScenarioNameBytes) {
    return FieldError("name", "must be 1 to " + std::to_string(kMaxScenarioNameBytes) + " bytes");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return FieldError("name", "may hold only letters, digits, '_', '-' and '.'");
  }
  if (name == "recommend" || name == "popular" || name == "latest") {
    return FieldError("name",
                      Quoted(name) + " is reserved for the plain routes in the exposure log");
  }
  return Status::Ok();
}

namespace {

Result<element> ParseRoot(simdjson::dom::parser& parser, std::string_view json) {
  element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return InvalidArgument(
        std::string("body: not valid JSON (") + simdjson::error_message(error) + ")", "body");
  }
  if (!root.is_object()) return InvalidArgument("body: must be a JSON object", "body");
  return root;
}

// The fields of `root` over `s` (the defaults, or a template's configuration).
Result<ScenarioConfig> ParseOver(element root, ScenarioConfig s, bool recall_required) {
  RECO_RETURN_IF_ERROR(CheckScenarioName(s.name));
  bool has_recall = false;
  RECO_RETURN_IF_ERROR(
      ForEachField(root, "", [&](const std::string& key, element v, const std::string&) {
        return ParseTopField(key, v, s, has_recall);
      }));
  if (recall_required && !has_recall) return FieldError("recall", "is required");
  return s;
}

}  // namespace

Result<ScenarioConfig> ParseScenario(std::string_view json, std::string_view name) {
  thread_local simdjson::dom::parser parser;
  RECO_ASSIGN_OR_RETURN(element root, ParseRoot(parser, json));
  ScenarioConfig s;
  s.name = std::string(name);
  return ParseOver(root, std::move(s), /*recall_required=*/true);
}

Result<ScenarioConfig> ParseNewScenario(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  RECO_ASSIGN_OR_RETURN(element root, ParseRoot(parser, json));
  std::string_view name;
  element value;
  if (root.at_key("name").get(value) != simdjson::SUCCESS) return FieldError("name", "is required");
  if (value.get_string().get(name) != simdjson::SUCCESS)
    return FieldError("name", "must be a string");
  ScenarioConfig base;
  std::string_view template_name;
  if (root.at_key("template").get(value) == simdjson::SUCCESS) {
    if (value.get_string().get(template_name) != simdjson::SUCCESS) {
      return FieldError("template", "must be a string naming a built-in template");
    }
    const ScenarioTemplate* t = FindTemplate(template_name);
    if (t == nullptr) {
      std::string known;
      for (const ScenarioTemplate& each : BuiltInTemplates()) {
        known += (known.empty() ? "" : ", ") + each.name;
      }
      return FieldError("template", "unknown template " + Quoted(template_name) +
                                        "; built-in templates: " + known);
    }
    base = t->scenario;
    base.template_name = t->name;
  }
  base.name = std::string(name);
  return ParseOver(root, std::move(base), /*recall_required=*/template_name.empty());
}

std::string ScenarioToJson(const ScenarioConfig& s) {
  JsonWriter w;
  w.BeginObject();
  WriteScenarioFields(w, s);
  w.EndObject();
  return w.Take();
}

void WriteScenarioFields(JsonWriter& w, const ScenarioConfig& s) {
  w.Key("name").String(s.name).Key("description").String(s.description);
  w.Key("template").String(s.template_name);
  w.Key("recall").BeginArray();
  for (const RecallSpec& r : s.recall) {
    w.BeginObject().Key("source").String(RecallSourceName(r.source));
    w.Key("quota").Int(r.quota).EndObject();
  }
  w.EndArray();
  const ScenarioFilters& f = s.filters;
  w.Key("filters").BeginObject().Key("categories").StringArray(f.categories);
  w.Key("labels").StringArray(f.labels);
  w.Key("labels_match").String(f.labels_match == LabelMatch::kAll ? "all" : "any");
  w.Key("exclude_seen").Bool(f.exclude_seen).Key("session_dedup").Bool(f.session_dedup);
  w.Key("exclude_hidden").Bool(true).EndObject();
  w.Key("ranker").String(s.ranker == RankerKind::kLearned ? "ranker" : "none");
  w.Key("rerank").BeginObject().Key("kind").String(RerankName(s.rerank.kind));
  w.Key("window").Int(s.rerank.window).Key("max_per_category").Int(s.rerank.max_per_category);
  w.Key("lambda").Double(s.rerank.lambda).EndObject();
  w.Key("fallback").BeginArray();
  for (RecallSourceKind k : s.fallback) w.String(RecallSourceName(k));
  w.EndArray();
}

namespace {

std::vector<ScenarioTemplate> MakeTemplates() {
  using K = RecallSourceKind;
  std::vector<ScenarioTemplate> out;
  {
    ScenarioConfig s;
    s.name = "ecommerce_home_feed";
    s.description =
        "E-commerce home feed: the user's personal list, item-CF on recent history and what is "
        "hot, at most 2 items of one category in the top 10.";
    s.recall = {{K::kUserRecs, 100}, {K::kItemCf, 100}, {K::kPopular, 50}};
    s.rerank = {.kind = RerankKind::kDiversity, .window = 10, .max_per_category = 2};
    out.push_back({s.name, "E-commerce home feed", s});
  }
  {
    ScenarioConfig s;
    s.name = "content_detail";
    s.description =
        "Content detail page: items similar to what the user just read (pass the page's item as "
        "?item=), newest content next, relevance balanced against variety (MMR).";
    s.recall = {{K::kItemCf, 200}, {K::kLatest, 30}};
    s.rerank = {.kind = RerankKind::kMmr, .window = 10, .lambda = 0.7};
    s.fallback = {K::kPopular, K::kLatest};
    out.push_back({s.name, "Content detail page", s});
  }
  {
    ScenarioConfig s;
    s.name = "new_user_onboarding";
    s.description =
        "New-user onboarding: popular and fresh items across many categories (one per category "
        "in the top 10), since a new user has no history to learn from.";
    s.recall = {{K::kPopular, 100}, {K::kCategoryPopular, 50}, {K::kLatest, 50}};
    s.rerank = {.kind = RerankKind::kDiversity, .window = 10, .max_per_category = 1};
    s.fallback = {K::kPopular, K::kLatest};
    out.push_back({s.name, "New-user onboarding", s});
  }
  return out;
}

}  // namespace

const std::vector<ScenarioTemplate>& BuiltInTemplates() {
  static const std::vector<ScenarioTemplate> templates = MakeTemplates();
  return templates;
}

const ScenarioTemplate* FindTemplate(std::string_view name) {
  for (const ScenarioTemplate& t : BuiltInTemplates()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace reco
