#include "store/sqlite/encoding.h"

#include <charconv>

#include "core/json_writer.h"

namespace reco::sqlite {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool Base64UrlDecode(std::string_view in, std::string& out) {
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = Base64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

Status BadCursor() { return InvalidArgument("malformed cursor", "cursor"); }

// Decodes the payload of a cursor of `kind`, returning what follows "<kind>:".
Result<std::string> DecodePayload(char kind, std::string_view cursor) {
  std::string raw;
  if (!Base64UrlDecode(cursor, raw) || raw.size() < 2 || raw[0] != kind || raw[1] != ':') {
    return BadCursor();
  }
  return raw.substr(2);
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

// Minimal reader for a JSON array of strings.
class ArrayParser {
 public:
  explicit ArrayParser(std::string_view s) : s_(s) {}

  bool Parse(std::vector<std::string>& out) {
    SkipSpace();
    if (!Eat('[')) return false;
    SkipSpace();
    if (Eat(']')) return AtEnd();
    while (true) {
      SkipSpace();
      std::string value;
      if (!ParseString(value)) return false;
      out.push_back(std::move(value));
      SkipSpace();
      if (Eat(']')) return AtEnd();
      if (!Eat(',')) return false;
    }
  }

 private:
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ == s_.size();
  }
  bool ParseHex4(uint32_t& cp) {
    if (pos_ + 4 > s_.size()) return false;
    auto [p, ec] = std::from_chars(s_.data() + pos_, s_.data() + pos_ + 4, cp, 16);
    if (ec != std::errc() || p != s_.data() + pos_ + 4) return false;
    pos_ += 4;
    return true;
  }
  bool ParseEscape(std::string& out) {
    if (pos_ >= s_.size()) return false;
    char c = s_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out.push_back(c);
        return true;
      case 'n':
        out.push_back('\n');
        return true;
      case 'r':
        out.push_back('\r');
        return true;
      case 't':
        out.push_back('\t');
        return true;
      case 'b':
        out.push_back('\b');
        return true;
      case 'f':
        out.push_back('\f');
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    uint32_t cp = 0;
    if (!ParseHex4(cp)) return false;
    if (cp >= 0xd800 && cp < 0xdc00 && s_.substr(pos_, 2) == "\\u") {
      pos_ += 2;
      uint32_t low = 0;
      if (!ParseHex4(low) || low < 0xdc00 || low >= 0xe000) return false;
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
    }
    AppendUtf8(out, cp);
    return true;
  }
  bool ParseString(std::string& out) {
    if (!Eat('"')) return false;
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out.push_back(c);
      } else if (!ParseEscape(out)) {
        return false;
      }
    }
    return false;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string EncodeIdCursor(char kind, std::string_view last_id) {
  std::string raw{kind, ':'};
  raw.append(last_id);
  return Base64UrlEncode(raw);
}

Result<std::string> DecodeIdCursor(char kind, std::string_view cursor) {
  RECO_ASSIGN_OR_RETURN(std::string id, DecodePayload(kind, cursor));
  if (id.empty()) return BadCursor();
  return id;
}

std::string EncodeFeedbackCursor(const FeedbackKey& last) {
  std::string raw = "f:";
  for (size_t i = 0; i < last.size(); ++i) {
    if (i > 0) raw.push_back(',');
    raw += std::to_string(last[i]);
  }
  return Base64UrlEncode(raw);
}

Result<FeedbackKey> DecodeFeedbackCursor(std::string_view cursor) {
  RECO_ASSIGN_OR_RETURN(std::string raw, DecodePayload('f', cursor));
  FeedbackKey key{};
  const char* p = raw.data();
  const char* end = raw.data() + raw.size();
  for (size_t i = 0; i < key.size(); ++i) {
    if (i > 0) {
      if (p == end || *p != ',') return BadCursor();
      ++p;
    }
    auto [next, ec] = std::from_chars(p, end, key[i]);
    if (ec != std::errc() || key[i] < 0) return BadCursor();
    p = next;
  }
  if (p != end) return BadCursor();
  return key;
}

std::string EncodeStringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, values[i]);
  }
  out.push_back(']');
  return out;
}

Result<std::vector<std::string>> DecodeStringArray(std::string_view json) {
  std::vector<std::string> out;
  if (json.empty() || json == "null") return out;
  if (!ArrayParser(json).Parse(out)) {
    return DataLoss("stored categories are not a JSON array of strings: " +
                    std::string(json.substr(0, 64)));
  }
  return out;
}

}  // namespace reco::sqlite
