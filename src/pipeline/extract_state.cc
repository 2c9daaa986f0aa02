#include "pipeline/extract_state.h"

#include <simdjson.h>

#include "core/file_util.h"
#include "core/json_writer.h"

namespace reco::pipeline {
namespace fs = std::filesystem;

namespace {

// Optional members: absent keys leave the output unchanged; a wrong type is an error.
bool GetInt(simdjson::dom::object obj, std::string_view key, int64_t& out) {
  simdjson::dom::element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return true;
  return v.get_int64().get(out) == simdjson::SUCCESS;
}

bool GetString(simdjson::dom::object obj, std::string_view key, std::string& out) {
  simdjson::dom::element v;
  if (obj.at_key(key).get(v) != simdjson::SUCCESS) return true;
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return false;
  out = std::string(s);
  return true;
}

bool GetTime(simdjson::dom::object obj, std::string_view key, TimestampUs& out) {
  simdjson::dom::element v;
  if (obj.at_key(key).get(v) == simdjson::SUCCESS && v.is_null()) return true;  // never
  std::string text;
  if (!GetString(obj, key, text)) return false;
  if (text.empty()) return true;
  Result<TimestampUs> ts = ParseTimestamp(text);
  if (!ts.ok()) return false;
  out = *ts;
  return true;
}

bool GetObject(simdjson::dom::object obj, std::string_view key, simdjson::dom::object& out,
               bool& present) {
  simdjson::dom::element v;
  present = obj.at_key(key).get(v) == simdjson::SUCCESS;
  return !present || v.get_object().get(out) == simdjson::SUCCESS;
}

bool ParseJsonFiles(simdjson::dom::object files, ExtractState& state) {
  for (auto field : files) {
    simdjson::dom::object f;
    if (field.value.get_object().get(f) != simdjson::SUCCESS) return false;
    JsonFileMark mark;
    if (!GetInt(f, "size", mark.size) || !GetInt(f, "mtime_ns", mark.mtime_ns) ||
        !GetInt(f, "offset", mark.offset) || !GetString(f, "sha256", mark.sha256)) {
      return false;
    }
    state.json_files[std::string(field.key)] = std::move(mark);
  }
  return true;
}

bool ParseState(simdjson::dom::object root, ExtractState& state) {
  simdjson::dom::object sources;
  bool present = false;
  if (!GetObject(root, "sources", sources, present)) return false;
  if (!present) return true;
  simdjson::dom::object s;
  if (!GetObject(sources, "store", s, present)) return false;
  if (present && (!GetInt(s, "feedback_seq", state.store_seq) ||
                  !GetTime(s, "updated", state.store_updated))) {
    return false;
  }
  if (!GetObject(sources, "json_dir", s, present)) return false;
  if (present) {
    simdjson::dom::object files;
    bool has_files = false;
    if (!GetString(s, "path", state.json_dir) || !GetTime(s, "updated", state.json_updated) ||
        !GetObject(s, "files", files, has_files) || (has_files && !ParseJsonFiles(files, state))) {
      return false;
    }
  }
  if (!GetObject(sources, "matomo", s, present)) return false;
  return !present || (GetInt(s, "idlink_va", state.matomo_idlink_va) &&
                      GetTime(s, "updated", state.matomo_updated));
}

void WriteTime(JsonWriter& w, std::string_view key, TimestampUs ts) {
  w.Key(key);
  if (ts == 0) {
    w.Null();
  } else {
    w.Timestamp(ts);
  }
}

}  // namespace

Result<ExtractState> LoadExtractState(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return ExtractState{};
  RECO_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  ExtractState state;
  if (parser.parse(text).get_object().get(root) != simdjson::SUCCESS || !ParseState(root, state)) {
    return DataLoss(path.string() +
                    ": not a valid extract state file (remove it or run with --full-refresh)");
  }
  return state;
}

std::string ExtractStateJson(const ExtractState& state) {
  JsonWriter w;
  w.BeginObject().Key("sources").BeginObject();
  w.Key("store").BeginObject().Key("feedback_seq").Int(state.store_seq);
  WriteTime(w, "updated", state.store_updated);
  w.EndObject();
  w.Key("json_dir").BeginObject().Key("path").String(state.json_dir);
  WriteTime(w, "updated", state.json_updated);
  w.Key("files").BeginObject();
  for (const auto& [name, mark] : state.json_files) {
    w.Key(name).BeginObject();
    w.Key("size").Int(mark.size).Key("mtime_ns").Int(mark.mtime_ns);
    w.Key("offset").Int(mark.offset).Key("sha256").String(mark.sha256);
    w.EndObject();
  }
  w.EndObject().EndObject();
  w.Key("matomo").BeginObject().Key("idlink_va").Int(state.matomo_idlink_va);
  WriteTime(w, "updated", state.matomo_updated);
  w.EndObject();
  w.EndObject().EndObject();
  std::string out = w.Take();
  out += '\n';
  return out;
}

Status SaveExtractState(const fs::path& path, const ExtractState& state) {
  RECO_RETURN_IF_ERROR(EnsureDirectory(path.parent_path()));
  return WriteFileAtomic(path, ExtractStateJson(state));
}

}  // namespace reco::pipeline
