#include "content/text_features.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>

namespace reco::content {
namespace {

// Decodes the code point at text[i] and advances i; 0xFFFFFFFF for an invalid byte (skipped
// alone, so one bad byte never swallows the characters after it).
constexpr uint32_t kInvalid = 0xFFFFFFFF;

uint32_t NextCodePoint(std::string_view text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    ++i;
    return kInvalid;
  }
  if (i + len > text.size()) {
    ++i;
    return kInvalid;
  }
  for (int k = 1; k < len; ++k) {
    const unsigned char b = byte(i + k);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return kInvalid;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += len;
  return cp;
}

// Punctuation and symbol blocks outside ASCII that separate words.
bool IsSeparator(uint32_t cp) {
  if (cp < 0x80) {
    const bool alnum =
        (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    return !alnum;
  }
  return cp == kInvalid || (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 ||
         (cp >= 0x2000 && cp <= 0x2BFF) ||  // general punctuation, arrows, symbols
         (cp >= 0x3000 && cp <= 0x303F) ||  // CJK symbols and punctuation
         (cp >= 0xFE30 && cp <= 0xFE4F) ||  // CJK compatibility forms
         (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
         (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65) ||  // fullwidth punct.
         (cp >= 0x1F000 && cp <= 0x1FAFF);  // emoji and pictographs
}

bool IsCjk(uint32_t cp) {
  return (cp >= 0x2E80 && cp <= 0x9FFF) ||  // radicals, kana, Han
         (cp >= 0xAC00 && cp <= 0xD7AF) ||  // Hangul syllables
         (cp >= 0xF900 && cp <= 0xFAFF) ||  // Han compatibility
         (cp >= 0x20000 && cp <= 0x3FFFF);  // Han extensions
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Calls fn(code points of one word) for each word of `text`.
template <typename Fn>
void ForEachWord(std::string_view text, Fn&& fn) {
  std::vector<uint32_t> word;
  bool word_cjk = false;
  auto flush = [&] {
    if (!word.empty()) fn(word);
    word.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    const uint32_t cp = NextCodePoint(text, i);
    if (IsSeparator(cp)) {
      flush();
      continue;
    }
    const uint32_t lower = (cp >= 'A' && cp <= 'Z') ? cp + ('a' - 'A') : cp;
    const bool cjk = IsCjk(lower);
    if (!word.empty() && cjk != word_cjk) flush();
    word_cjk = cjk;
    word.push_back(lower);
  }
  flush();
}

std::string Encode(const std::vector<uint32_t>& cps, size_t from, size_t count) {
  std::string out;
  for (size_t k = from; k < from + count; ++k) AppendUtf8(cps[k], out);
  return out;
}

void AppendStrings(simdjson::dom::element value, std::string& out) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    if (!out.empty()) out.push_back('\n');
    out.append(text);
  } else if (simdjson::dom::array array; value.get_array().get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : array) AppendStrings(e, out);
  } else if (simdjson::dom::object object; value.get_object().get(object) == simdjson::SUCCESS) {
    for (auto field : object) AppendStrings(field.value, out);
  }
}

}  // namespace

Status ValidateTextFeatureOptions(const TextFeatureOptions& options) {
  if (options.ngram_max < 1 || options.ngram_max > 8) {
    return InvalidArgument(
        "content.text_ngram_max must be in 1..8, got " + std::to_string(options.ngram_max),
        "content.text_ngram_max");
  }
  if (options.ngram_min < 1 || options.ngram_min > options.ngram_max) {
    return InvalidArgument("content.text_ngram_min must be in 1..content.text_ngram_max (" +
                               std::to_string(options.ngram_max) + "), got " +
                               std::to_string(options.ngram_min),
                           "content.text_ngram_min");
  }
  return Status::Ok();
}

std::vector<std::string> TextWords(std::string_view text) {
  std::vector<std::string> words;
  ForEachWord(text, [&](const std::vector<uint32_t>& word) {
    words.push_back(Encode(word, 0, word.size()));
  });
  return words;
}

std::vector<std::string> TextFeatures(std::string_view text, const TextFeatureOptions& options) {
  std::vector<std::string> features;
  const size_t lo = static_cast<size_t>(std::max(options.ngram_min, 1));
  const size_t hi = static_cast<size_t>(std::max(options.ngram_max, options.ngram_min));
  ForEachWord(text, [&](const std::vector<uint32_t>& word) {
    features.push_back("w:" + Encode(word, 0, word.size()));
    for (size_t n = lo; n <= hi && n <= word.size(); ++n) {
      for (size_t start = 0; start + n <= word.size(); ++start) {
        features.push_back("c:" + Encode(word, start, n));
      }
    }
  });
  return features;
}

std::string ItemText(const Item& item, std::string_view skip_label) {
  std::string out;
  const std::string_view labels = item.labels_json;
  if (!labels.empty() && labels != "null" && labels != "{}" && labels != "[]") {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(labels.data(), labels.size()).get(root) == simdjson::SUCCESS) {
      simdjson::dom::object object;
      if (root.get_object().get(object) == simdjson::SUCCESS) {
        simdjson::dom::element title;
        if (object["title"].get(title) == simdjson::SUCCESS) AppendStrings(title, out);
        for (auto field : object) {
          if (field.key == "title" || field.key == skip_label) continue;
          AppendStrings(field.value, out);
        }
      } else {
        AppendStrings(root, out);
      }
    }
  }
  for (const std::string& category : item.categories) {
    if (!out.empty()) out.push_back('\n');
    out += category;
  }
  if (!item.comment.empty()) {
    if (!out.empty()) out.push_back('\n');
    out += item.comment;
  }
  return out;
}

}  // namespace reco::content
