// MovieLens (GroupLens) layouts: ml-100k (u.data, u.item, u.user), ml-1m (ratings.dat,
// movies.dat, users.dat; "::" separated) and ml-latest[-small] (ratings.csv, movies.csv).
// Ratings become feedback with Value = rating, type "like" when rating >= positive_threshold
// and "read" otherwise; genres become categories and the title the item's comment.
#include <algorithm>
#include <array>
#include <cstdio>

#include "core/json_writer.h"
#include "ingest/sources.h"
#include "ingest/text_util.h"

namespace reco::ingest {
namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 19> kMl100kGenres = {
    "unknown",     "Action", "Adventure", "Animation", "Children's", "Comedy",  "Crime",
    "Documentary", "Drama",  "Fantasy",   "Film-Noir", "Horror",     "Musical", "Mystery",
    "Romance",     "Sci-Fi", "Thriller",  "War",       "Western"};

enum class MlFile { kNone, kRatings, kMovies, kUsers };
enum class MlLayout { k100k, k1m, kLatest };

struct MlFileSpec {
  std::string_view name;
  MlLayout layout;
  MlFile file;
};

constexpr std::array<MlFileSpec, 8> kMlFiles = {{
    {"u.data", MlLayout::k100k, MlFile::kRatings},
    {"u.item", MlLayout::k100k, MlFile::kMovies},
    {"u.user", MlLayout::k100k, MlFile::kUsers},
    {"ratings.dat", MlLayout::k1m, MlFile::kRatings},
    {"movies.dat", MlLayout::k1m, MlFile::kMovies},
    {"users.dat", MlLayout::k1m, MlFile::kUsers},
    {"ratings.csv", MlLayout::kLatest, MlFile::kRatings},
    {"movies.csv", MlLayout::kLatest, MlFile::kMovies},
}};

const MlFileSpec* FindSpec(const std::string& name) {
  for (const auto& spec : kMlFiles) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Jan 1st of the year in a title's trailing "(1995)", or `fallback`.
TimestampUs YearFromTitle(std::string_view title, TimestampUs fallback) {
  title = Trim(title);
  if (title.size() < 6 || title.back() != ')') return fallback;
  std::string_view year = title.substr(title.size() - 5, 4);
  if (title[title.size() - 6] != '(') return fallback;
  auto ts = ParseTimestamp(std::string(year) + "-01-01");
  return ts.ok() ? *ts : fallback;
}

// ml-100k release dates look like "01-Jan-1995".
TimestampUs ParseReleaseDate(std::string_view s, TimestampUs fallback) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 11 || s[2] != '-' || s[6] != '-') return fallback;
  for (size_t m = 0; m < kMonths.size(); ++m) {
    if (s.substr(3, 3) != kMonths[m]) continue;
    char buf[16];
    std::snprintf(buf, sizeof(buf), "%.4s-%02zu-%.2s", s.data() + 7, m + 1, s.data());
    auto ts = ParseTimestamp(buf);
    return ts.ok() ? *ts : fallback;
  }
  return fallback;
}

class MovieLensReader {
 public:
  MovieLensReader(const SourceOptions& options, ImportBatch& batch,
                  std::vector<ImportIssue>& issues)
      : options_(options), batch_(batch), issues_(issues) {}

  Status ReadFile(const fs::path& path, const MlFileSpec& spec);

 private:
  void Issue(int64_t line, std::string reason) {
    issues_.push_back({path_, line, std::move(reason)});
  }
  bool AddRating(std::string_view user, std::string_view item, std::string_view rating,
                 std::string_view timestamp, int64_t line);
  void ReadDelimited(std::string_view text, const MlFileSpec& spec);
  void ReadLatestCsv(std::string_view text, const MlFileSpec& spec);
  void AddMovie(const std::vector<std::string_view>& f, const MlFileSpec& spec, int64_t line);
  void AddUser(const std::vector<std::string_view>& f, const MlFileSpec& spec, int64_t line);

  const SourceOptions& options_;
  ImportBatch& batch_;
  std::vector<ImportIssue>& issues_;
  std::string path_;
};

bool MovieLensReader::AddRating(std::string_view user, std::string_view item,
                                std::string_view rating, std::string_view timestamp, int64_t line) {
  user = Trim(user);
  item = Trim(item);
  double value = 0;
  int64_t seconds = 0;
  if (user.empty() || item.empty() || user.size() > kMaxIdBytes || item.size() > kMaxIdBytes) {
    Issue(line, "empty or over-long user or movie id");
    return false;
  }
  if (!ParseDouble(Trim(rating), value)) {
    Issue(line, "rating \"" + std::string(rating.substr(0, 32)) + "\" is not a number");
    return false;
  }
  if (!ParseInt64(Trim(timestamp), seconds)) {
    Issue(line, "timestamp \"" + std::string(timestamp.substr(0, 32)) + "\" is not Unix seconds");
    return false;
  }
  Result<TimestampUs> ts = ParseTimestampCell(timestamp, 0, options_.latest_timestamp);
  if (!ts.ok()) {
    Issue(line, ts.status().message());
    return false;
  }
  Feedback& f = batch_.feedback.emplace_back();
  f.feedback_type = value >= options_.positive_threshold ? "like" : "read";
  f.user_id.assign(user);
  f.item_id.assign(item);
  f.value = value;
  f.timestamp = *ts;
  return true;
}

void MovieLensReader::AddMovie(const std::vector<std::string_view>& f, const MlFileSpec& spec,
                               int64_t line) {
  size_t need = spec.layout == MlLayout::k100k ? 5 + kMl100kGenres.size() : 3;
  if (f.size() < need || Trim(f[0]).empty() || Trim(f[0]).size() > kMaxIdBytes) {
    Issue(line, "expected " + std::to_string(need) + " fields with a movie id, got " +
                    std::to_string(f.size()));
    return;
  }
  Item& item = batch_.items.emplace_back();
  item.item_id.assign(Trim(f[0]));
  item.comment = ToUtf8(Trim(f[1]));
  item.timestamp = YearFromTitle(f[1], options_.default_timestamp);
  if (spec.layout == MlLayout::k100k) {
    item.timestamp = ParseReleaseDate(Trim(f[2]), item.timestamp);
  }
  // A release date after the accepted range says nothing reliable: the import time instead.
  if (item.timestamp > options_.latest_timestamp) item.timestamp = options_.default_timestamp;
  if (spec.layout == MlLayout::k100k) {
    for (size_t g = 0; g < kMl100kGenres.size(); ++g) {
      if (Trim(f[5 + g]) == "1") item.categories.emplace_back(kMl100kGenres[g]);
    }
    return;
  }
  std::vector<std::string_view> genres;
  Split(Trim(f[2]), "|", genres);
  for (std::string_view g : genres) {
    if (!g.empty() && g != "(no genres listed)") item.categories.emplace_back(g);
  }
}

void MovieLensReader::AddUser(const std::vector<std::string_view>& f, const MlFileSpec& spec,
                              int64_t line) {
  if (f.size() < 5 || Trim(f[0]).empty() || Trim(f[0]).size() > kMaxIdBytes) {
    Issue(line, "expected 5 fields with a user id, got " + std::to_string(f.size()));
    return;
  }
  // ml-100k: id|age|gender|occupation|zip; ml-1m: id::gender::age::occupation::zip.
  bool is_100k = spec.layout == MlLayout::k100k;
  JsonWriter w;
  w.BeginObject();
  w.Key("gender").String(Trim(is_100k ? f[2] : f[1]));
  w.Key("age").String(Trim(is_100k ? f[1] : f[2]));
  w.Key("occupation").String(Trim(f[3]));
  w.Key("zip").String(Trim(f[4]));
  w.EndObject();
  User& user = batch_.users.emplace_back();
  user.user_id.assign(Trim(f[0]));
  user.labels_json = w.Take();
}

void MovieLensReader::ReadDelimited(std::string_view text, const MlFileSpec& spec) {
  std::string_view sep = spec.layout == MlLayout::k1m    ? "::"
                         : spec.file == MlFile::kRatings ? "\t"
                                                         : "|";
  LineReader lines(text);
  std::string_view line;
  std::vector<std::string_view> f;
  while (lines.Next(line)) {
    if (Trim(line).empty()) continue;
    Split(line, sep, f);
    if (spec.file == MlFile::kRatings) {
      if (f.size() < 4) {
        Issue(lines.line_number(), "expected user" + std::string(sep == "\t" ? "<tab>" : sep) +
                                       "movie...rating...timestamp, got " +
                                       std::to_string(f.size()) + " fields");
        continue;
      }
      AddRating(f[0], f[1], f[2], f[3], lines.line_number());
    } else if (spec.file == MlFile::kMovies) {
      AddMovie(f, spec, lines.line_number());
    } else {
      AddUser(f, spec, lines.line_number());
    }
  }
}

void MovieLensReader::ReadLatestCsv(std::string_view text, const MlFileSpec& spec) {
  CsvReader reader(text, ',');
  std::vector<std::string_view> f;
  bool first = true;
  while (reader.Next(f)) {
    if (!reader.error().empty()) {
      Issue(reader.line_number(), reader.error());
      continue;
    }
    if (first) {
      first = false;
      if (!f.empty() && (Trim(f[0]) == "userId" || Trim(f[0]) == "movieId")) continue;
    }
    if (spec.file == MlFile::kRatings) {
      if (f.size() < 4) {
        Issue(reader.line_number(), "expected userId,movieId,rating,timestamp, got " +
                                        std::to_string(f.size()) + " fields");
        continue;
      }
      AddRating(f[0], f[1], f[2], f[3], reader.line_number());
    } else {
      AddMovie(f, spec, reader.line_number());
    }
  }
}

Status MovieLensReader::ReadFile(const fs::path& path, const MlFileSpec& spec) {
  std::string buffer;
  RECO_ASSIGN_OR_RETURN(std::string_view text, ReadFilePadded(path, 0, buffer));
  path_ = path.string();
  if (spec.file == MlFile::kRatings) {
    batch_.feedback.reserve(batch_.feedback.size() +
                            static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  }
  if (spec.layout == MlLayout::kLatest) {
    ReadLatestCsv(text, spec);
  } else {
    ReadDelimited(text, spec);
  }
  return Status::Ok();
}

}  // namespace

Status ReadMovieLensSource(const fs::path& path, const SourceOptions& options, ImportBatch& batch,
                           std::vector<ImportIssue>& issues) {
  MovieLensReader reader(options, batch, issues);
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    const MlFileSpec* spec = FindSpec(path.filename().string());
    if (spec == nullptr) {
      return InvalidArgument(path.string() +
                             " is not a MovieLens file (expected u.data, u.item, u.user, "
                             "ratings.dat, movies.dat, users.dat, ratings.csv or movies.csv)");
    }
    return reader.ReadFile(path, *spec);
  }
  int found = 0;
  for (const auto& spec : kMlFiles) {
    fs::path file = path / spec.name;
    if (!fs::exists(file, ec)) continue;
    ++found;
    RECO_RETURN_IF_ERROR(reader.ReadFile(file, spec));
  }
  if (found == 0) {
    return InvalidArgument("no MovieLens files (u.data, ratings.dat, ratings.csv) in " +
                           path.string());
  }
  return Status::Ok();
}

}  // namespace reco::ingest
