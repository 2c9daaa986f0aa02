// Generic CSV: one kind of row per file (feedback, users or items), columns mapped by index or
// by header name (--csv-columns user=0,item=1,type=2,timestamp=3).
#include <simdjson.h>

#include <algorithm>
#include <array>

#include "core/json_writer.h"
#include "ingest/sources.h"
#include "ingest/text_util.h"

namespace reco::ingest {
namespace fs = std::filesystem;

namespace {

enum Field {
  kUser,
  kItem,
  kType,
  kValue,
  kTimestamp,
  kComment,
  kLabels,
  kCategories,
  kHidden,
  kFieldCount
};
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "user", "item", "type", "value", "timestamp", "comment", "labels", "categories", "hidden"};
// Header names recognised when --csv-columns is empty (compared case-insensitively).
constexpr std::array<std::string_view, kFieldCount> kDefaultHeaders = {
    "userid",  "itemid", "feedbacktype", "value",   "timestamp",
    "comment", "labels", "categories",   "ishidden"};

using ColumnMap = std::array<int, kFieldCount>;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.erase(std::remove(out.begin(), out.end(), '_'), out.end());
  return out;
}

int FindHeader(const std::vector<std::string>& header, std::string_view name) {
  std::string want = Lower(name);
  for (size_t i = 0; i < header.size(); ++i) {
    if (Lower(Trim(header[i])) == want) return static_cast<int>(i);
  }
  return -1;
}

Result<ColumnMap> BuildColumnMap(const CsvOptions& csv, const std::vector<std::string>& header) {
  ColumnMap map;
  map.fill(-1);
  if (csv.columns.empty()) {
    if (header.empty()) {
      return InvalidArgument("CSV needs --csv-columns (e.g. user=0,item=1) or --csv-header",
                             "--csv-columns");
    }
    for (int f = 0; f < kFieldCount; ++f) map[f] = FindHeader(header, kDefaultHeaders[f]);
    return map;
  }
  std::vector<std::string_view> parts, kv;
  Split(csv.columns, ",", parts);
  for (std::string_view part : parts) {
    Split(Trim(part), "=", kv);
    if (kv.size() != 2) {
      return InvalidArgument(
          "bad --csv-columns entry \"" + std::string(part) + "\" (expected field=column)",
          "--csv-columns");
    }
    auto it = std::find(kFieldNames.begin(), kFieldNames.end(), Trim(kv[0]));
    if (it == kFieldNames.end()) {
      return InvalidArgument("unknown --csv-columns field \"" + std::string(kv[0]) +
                                 "\" (accepted: user, item, type, value, timestamp, comment, "
                                 "labels, categories, hidden)",
                             "--csv-columns");
    }
    int64_t index = -1;
    std::string_view column = Trim(kv[1]);
    if (!ParseInt64(column, index)) {
      index = FindHeader(header, column);
      if (index < 0) {
        return InvalidArgument("--csv-columns names column \"" + std::string(column) +
                                   "\" but the header has no such column",
                               "--csv-columns");
      }
    }
    if (index < 0 || index > 10000) {
      return InvalidArgument("bad column index in --csv-columns: " + std::string(column),
                             "--csv-columns");
    }
    map[it - kFieldNames.begin()] = static_cast<int>(index);
  }
  return map;
}

Status CheckRequired(const ColumnMap& map, const CsvOptions& csv) {
  std::vector<Field> required;
  if (csv.kind == "feedback") {
    required = {kUser, kItem};
    if (csv.feedback_type.empty()) required.push_back(kType);
  } else if (csv.kind == "users") {
    required = {kUser};
  } else if (csv.kind == "items") {
    required = {kItem};
  } else {
    return InvalidArgument(
        "unknown --csv-kind \"" + csv.kind + "\" (accepted: feedback, users, items)", "--csv-kind");
  }
  for (Field f : required) {
    if (map[f] < 0) {
      std::string what(kFieldNames[f]);
      return InvalidArgument("CSV " + csv.kind + " rows need a \"" + what +
                                 "\" column (--csv-columns " + what + "=N" +
                                 (f == kType ? " or --feedback-type" : "") + ")",
                             "--csv-columns");
    }
  }
  return Status::Ok();
}

// Parses one record into the batch; returns the reason when the record is bad.
class RowParser {
 public:
  RowParser(const ColumnMap& map, const CsvOptions& csv, const SourceOptions& options)
      : map_(map), csv_(csv), options_(options) {
    for (int c : map_) min_columns_ = std::max(min_columns_, c + 1);
  }

  std::string Parse(const std::vector<std::string_view>& f, ImportBatch& batch);

 private:
  std::string_view Cell(const std::vector<std::string_view>& f, Field field) const {
    return map_[field] < 0 ? std::string_view() : f[map_[field]];
  }
  static std::string CheckId(std::string_view id, std::string_view what);
  std::string Labels(std::string_view cell, std::string& out);

  const ColumnMap& map_;
  const CsvOptions& csv_;
  const SourceOptions& options_;
  int min_columns_ = 0;
  simdjson::dom::parser validator_;
};

std::string RowParser::CheckId(std::string_view id, std::string_view what) {
  if (id.empty()) return std::string(what) + " id is empty";
  if (id.size() > kMaxIdBytes) {
    return std::string(what) + " id is longer than " + std::to_string(kMaxIdBytes) + " bytes";
  }
  return {};
}

std::string RowParser::Labels(std::string_view cell, std::string& out) {
  cell = Trim(cell);
  if (cell.empty()) {
    out = "null";
    return {};
  }
  if (cell.front() == '[' || cell.front() == '{') {
    simdjson::dom::element element;
    if (validator_.parse(cell.data(), cell.size(), true).get(element)) {
      return "labels are not valid JSON";
    }
    out = simdjson::minify(element);
    return {};
  }
  std::vector<std::string_view> parts;
  Split(cell, std::string_view(&csv_.list_separator, 1), parts);
  JsonWriter w;
  w.BeginArray();
  for (std::string_view p : parts) {
    if (!Trim(p).empty()) w.String(Trim(p));
  }
  w.EndArray();
  out = w.Take();
  return {};
}

std::string RowParser::Parse(const std::vector<std::string_view>& f, ImportBatch& batch) {
  if (static_cast<int>(f.size()) < min_columns_) {
    return "expected at least " + std::to_string(min_columns_) + " columns, got " +
           std::to_string(f.size());
  }
  auto timestamp = ParseTimestampCell(Cell(f, kTimestamp), options_.default_timestamp,
                                      options_.latest_timestamp);
  if (!timestamp.ok()) return timestamp.status().message();
  if (csv_.kind == "feedback") {
    Feedback row;
    row.user_id.assign(Trim(Cell(f, kUser)));
    row.item_id.assign(Trim(Cell(f, kItem)));
    row.feedback_type.assign(map_[kType] < 0 ? csv_.feedback_type : Trim(Cell(f, kType)));
    for (auto [id, what] : {std::pair<std::string_view, std::string_view>{row.user_id, "user"},
                            {row.item_id, "item"},
                            {row.feedback_type, "feedback type"}}) {
      if (auto reason = CheckId(id, what); !reason.empty()) return reason;
    }
    std::string_view value = Trim(Cell(f, kValue));
    if (!value.empty() && !ParseDouble(value, row.value)) {
      return "value \"" + std::string(value.substr(0, 64)) + "\" is not a number";
    }
    row.timestamp = *timestamp;
    row.comment.assign(Cell(f, kComment));
    batch.feedback.push_back(std::move(row));
    return {};
  }
  std::string labels;
  if (auto reason = Labels(Cell(f, kLabels), labels); !reason.empty()) return reason;
  if (csv_.kind == "users") {
    User& user = batch.users.emplace_back();
    user.user_id.assign(Trim(Cell(f, kUser)));
    if (auto reason = CheckId(user.user_id, "user"); !reason.empty()) {
      batch.users.pop_back();
      return reason;
    }
    user.labels_json = std::move(labels);
    user.comment.assign(Cell(f, kComment));
    return {};
  }
  Item item;
  item.item_id.assign(Trim(Cell(f, kItem)));
  if (auto reason = CheckId(item.item_id, "item"); !reason.empty()) return reason;
  std::string hidden = Lower(Trim(Cell(f, kHidden)));
  if (hidden == "true" || hidden == "1" || hidden == "yes") {
    item.is_hidden = true;
  } else if (!hidden.empty() && hidden != "false" && hidden != "0" && hidden != "no") {
    return "hidden \"" + hidden.substr(0, 64) + "\" is not a boolean (true/false/1/0)";
  }
  std::vector<std::string_view> categories;
  if (!Trim(Cell(f, kCategories)).empty()) {
    Split(Cell(f, kCategories), std::string_view(&csv_.list_separator, 1), categories);
  }
  for (std::string_view c : categories) {
    if (!Trim(c).empty()) item.categories.emplace_back(Trim(c));
  }
  item.labels_json = std::move(labels);
  item.timestamp = *timestamp;
  item.comment.assign(Cell(f, kComment));
  batch.items.push_back(std::move(item));
  return {};
}

}  // namespace

Status ReadCsvSource(const fs::path& path, const SourceOptions& options, ImportBatch& batch,
                     std::vector<ImportIssue>& issues) {
  const CsvOptions& csv = options.csv;
  std::string buffer;
  RECO_ASSIGN_OR_RETURN(std::string_view text, ReadFilePadded(path, 0, buffer));
  const std::string name = path.string();
  CsvReader reader(text, csv.separator);
  std::vector<std::string_view> fields;
  std::vector<std::string> header;
  if (csv.header && reader.Next(fields)) {
    for (auto f : fields) header.emplace_back(f);
  }
  RECO_ASSIGN_OR_RETURN(ColumnMap map, BuildColumnMap(csv, header));
  RECO_RETURN_IF_ERROR(CheckRequired(map, csv));
  if (csv.kind == "feedback" && !batch.spill) {
    batch.feedback.reserve(batch.feedback.size() + std::count(text.begin(), text.end(), '\n'));
  }
  RowParser parser(map, csv, options);
  while (reader.Next(fields)) {
    std::string reason = reader.error();
    if (reason.empty()) reason = parser.Parse(fields, batch);
    if (!reason.empty()) issues.push_back({name, reader.line_number(), std::move(reason)});
    if (!batch.Spill()) break;
  }
  return Status::Ok();
}

}  // namespace reco::ingest
