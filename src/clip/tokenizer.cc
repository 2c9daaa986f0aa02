#include "clip/tokenizer.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <limits>

#include "core/file_util.h"

namespace reco::clip {
namespace {

struct CodepointRange {
  char32_t first, last;
};
struct CodepointPair {
  char32_t from, to;
};
#include "clip/unicode_tables.inc"

template <size_t N>
bool InRanges(const CodepointRange (&ranges)[N], char32_t c) {
  auto it = std::upper_bound(std::begin(ranges), std::end(ranges), c,
                             [](char32_t v, const CodepointRange& r) { return v < r.first; });
  return it != std::begin(ranges) && c <= std::prev(it)->last;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Decodes UTF-8; a byte that does not start a valid sequence becomes U+FFFD.
std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    int extra = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xE ? 2 : (b >> 3) == 0x1E ? 3 : -1;
    char32_t c = extra == 0 ? b : extra == 1 ? (b & 0x1F) : extra == 2 ? (b & 0x0F) : (b & 0x07);
    bool ok = extra >= 0 && i + static_cast<size_t>(extra) < s.size();
    for (int k = 1; ok && k <= extra; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + k]);
      if ((cb & 0xC0) != 0x80) {
        ok = false;
      } else {
        c = (c << 6) | (cb & 0x3F);
      }
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (ok && (c < kMin[extra] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))) ok = false;
    if (!ok) {
      out += U'\uFFFD';
      ++i;
      continue;
    }
    out += c;
    i += static_cast<size_t>(extra) + 1;
  }
  return out;
}

// CLIP's byte alphabet: printable Latin-1 bytes stand for themselves, the others for 256 + n.
const std::array<std::string, 256>& ByteAlphabet() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      AppendUtf8(printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++),
                 t[b]);
    }
    return t;
  }();
  return table;
}

bool StartsWithContraction(const std::u32string& s, size_t i, size_t& length) {
  if (s[i] != U'\'') return false;
  static constexpr std::u32string_view kSuffixes[] = {U"s", U"t", U"re", U"ve", U"m", U"ll", U"d"};
  for (std::u32string_view suffix : kSuffixes) {
    if (s.compare(i + 1, suffix.size(), suffix) == 0) {
      length = suffix.size() + 1;
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsLetter(char32_t c) { return InRanges(kLetterRanges, c); }
bool IsNumber(char32_t c) { return InRanges(kNumberRanges, c); }
bool IsSpace(char32_t c) { return InRanges(kSpaceRanges, c); }
char32_t ToLower(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  auto it = std::lower_bound(std::begin(kLowercase), std::end(kLowercase), c,
                             [](const CodepointPair& p, char32_t v) { return p.from < v; });
  return (it != std::end(kLowercase) && it->from == c) ? it->to : c;
}

Result<ClipTokenizer> ClipTokenizer::Load(const std::filesystem::path& vocab_json,
                                          const std::filesystem::path& merges_txt) {
  std::error_code ec;
  for (const auto& p : {vocab_json, merges_txt}) {
    if (!std::filesystem::is_regular_file(p, ec)) return NotFound(p.string() + " is missing");
  }
  RECO_ASSIGN_OR_RETURN(std::string vocab, ReadFile(vocab_json));
  RECO_ASSIGN_OR_RETURN(std::string merges, ReadFile(merges_txt));
  return FromStrings(vocab, merges, vocab_json.string(), merges_txt.string());
}

Result<ClipTokenizer> ClipTokenizer::FromStrings(std::string_view vocab_json,
                                                 std::string_view merges,
                                                 std::string_view vocab_name,
                                                 std::string_view merges_name) {
  ClipTokenizer t;
  simdjson::dom::parser parser;
  simdjson::padded_string text(vocab_json);
  simdjson::dom::object root;
  const std::string vname(vocab_name);
  if (parser.parse(text).get_object().get(root)) {
    return InvalidArgument(vname + " is not a JSON object of token -> id", vname);
  }
  for (auto field : root) {
    int64_t id = 0;
    if (field.value.get_int64().get(id) || id < 0 || id > std::numeric_limits<int32_t>::max()) {
      return InvalidArgument(vname + ": the id of token '" + std::string(field.key) +
                                 "' is not a non-negative integer",
                             vname);
    }
    t.vocab_.emplace(std::string(field.key), static_cast<int32_t>(id));
    t.max_id_ = std::max(t.max_id_, static_cast<int32_t>(id));
  }
  auto special = [&](std::string_view token, int32_t& out) -> Status {
    auto it = t.vocab_.find(std::string(token));
    if (it == t.vocab_.end()) {
      return InvalidArgument(vname + " lacks the token " + std::string(token), vname);
    }
    out = it->second;
    return Status::Ok();
  };
  RECO_RETURN_IF_ERROR(special(kStartOfText, t.start_id_));
  RECO_RETURN_IF_ERROR(special(kEndOfText, t.end_id_));
  // Every single byte must have an id, or some text could not be encoded.
  for (const std::string& symbol : ByteAlphabet()) {
    if (!t.vocab_.contains(symbol) || !t.vocab_.contains(symbol + "</w>")) {
      return InvalidArgument(vname + " lacks the byte token '" + symbol +
                                 "' (or its '</w>' form): not a CLIP byte-level vocabulary",
                             vname);
    }
  }
  size_t pos = 0;
  int line_number = 0;
  int32_t rank = 0;
  while (pos < merges.size()) {
    size_t end = merges.find('\n', pos);
    if (end == std::string_view::npos) end = merges.size();
    std::string_view line = merges.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || (line_number == 1 && line.starts_with("#version"))) continue;
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos) {
      return InvalidArgument(std::string(merges_name) + ":" + std::to_string(line_number) +
                                 ": a merge is two symbols separated by one space",
                             std::string(merges_name));
    }
    t.merge_ranks_.emplace(std::string(line), rank++);  // the first listing of a pair wins
  }
  return t;
}

void ClipTokenizer::Bpe(const std::string& piece, std::vector<int32_t>& out) const {
  const auto& alphabet = ByteAlphabet();
  std::vector<std::string> symbols;
  symbols.reserve(piece.size());
  for (unsigned char b : piece) symbols.push_back(alphabet[b]);
  symbols.back() += "</w>";
  std::string pair;
  while (symbols.size() > 1) {
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    size_t best = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      pair.assign(symbols[i]).append(" ").append(symbols[i + 1]);
      auto it = merge_ranks_.find(pair);
      if (it != merge_ranks_.end() && it->second < best_rank) {
        best_rank = it->second;
        best = i;
      }
    }
    if (best_rank == std::numeric_limits<int32_t>::max()) break;
    // Merge every occurrence of the best pair, left to right.
    const std::string left = symbols[best], right = symbols[best + 1];
    std::vector<std::string> merged;
    merged.reserve(symbols.size());
    for (size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
        merged.push_back(left + right);
        i += 2;
      } else {
        merged.push_back(std::move(symbols[i]));
        ++i;
      }
    }
    symbols = std::move(merged);
  }
  for (const std::string& s : symbols) {
    auto it = vocab_.find(s);
    // A merge whose result vocab.json lacks: Hugging Face answers the unknown token, which is
    // CLIP's <|endoftext|>.
    out.push_back(it == vocab_.end() ? end_id_ : it->second);
  }
}

std::vector<int32_t> ClipTokenizer::Encode(std::string_view text, size_t max_length) const {
  std::u32string s;
  for (char32_t c : DecodeUtf8(text)) {
    if (c == U'\u0130') {  // İ: the one letter whose lowercase is two code points
      s += U'i';
      s += U'\u0307';
    } else {
      s += IsSpace(c) ? U' ' : ToLower(c);
    }
  }
  std::vector<int32_t> ids = {start_id_};
  const size_t limit = max_length >= 2 ? max_length - 1 : 1;  // room for the end token
  std::string piece;
  size_t i = 0;
  while (i < s.size() && ids.size() < limit) {
    const char32_t c = s[i];
    size_t length = 0;
    if (c == U' ') {
      ++i;
      continue;
    }
    if (StartsWithContraction(s, i, length)) {
    } else if (IsLetter(c)) {
      while (i + length < s.size() && IsLetter(s[i + length])) ++length;
    } else if (IsNumber(c)) {
      length = 1;
    } else {
      while (i + length < s.size() && s[i + length] != U' ' && !IsLetter(s[i + length]) &&
             !IsNumber(s[i + length])) {
        ++length;
      }
    }
    piece.clear();
    for (size_t k = i; k < i + length; ++k) AppendUtf8(s[k], piece);
    i += length;
    Bpe(piece, ids);
  }
  if (ids.size() > limit) ids.resize(limit);
  ids.push_back(end_id_);
  return ids;
}

}  // namespace reco::clip
