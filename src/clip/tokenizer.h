// ClipTokenizer: CLIP's byte-level BPE, from vocab.json and merges.txt of the model folder.
//
// Encode() does what Hugging Face's CLIP tokenizer does: white space runs become one space, the
// text is lowercased, split by the pattern
//   's|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+
// each piece's UTF-8 bytes are mapped to CLIP's byte alphabet, "</w>" marks the end of a word, the
// merges are applied lowest rank first, and the ids are framed by <|startoftext|> and
// <|endoftext|>, truncated to `max_length` ids (the end token is kept). Not done: Unicode NFC
// normalisation and ftfy's repairs; "<|endoftext|>" written inside a text is ordinary text.
//
// Thread-safety: immutable after Load(); Encode() may be called from several threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace reco::clip {

inline constexpr std::string_view kStartOfText = "<|startoftext|>";
inline constexpr std::string_view kEndOfText = "<|endoftext|>";

class ClipTokenizer {
 public:
  // NotFound naming a missing file; InvalidArgument naming the file and line of a bad entry, or
  // the special token that vocab.json lacks.
  static Result<ClipTokenizer> Load(const std::filesystem::path& vocab_json,
                                    const std::filesystem::path& merges_txt);
  // The same from the files' contents (`vocab_name`/`merges_name` appear in errors).
  static Result<ClipTokenizer> FromStrings(std::string_view vocab_json, std::string_view merges,
                                           std::string_view vocab_name = "vocab.json",
                                           std::string_view merges_name = "merges.txt");

  std::vector<int32_t> Encode(std::string_view text, size_t max_length = 77) const;

  int32_t start_id() const { return start_id_; }
  int32_t end_id() const { return end_id_; }
  size_t vocab_size() const { return vocab_.size(); }
  // The largest id in vocab.json (every id must be below the text tower's vocab_size).
  int32_t max_id() const { return max_id_; }

 private:
  void Bpe(const std::string& piece, std::vector<int32_t>& out) const;

  std::unordered_map<std::string, int32_t> vocab_;
  std::unordered_map<std::string, int32_t> merge_ranks_;  // "left right" -> rank
  int32_t start_id_ = 0;
  int32_t end_id_ = 0;
  int32_t max_id_ = 0;
};

// Unicode helpers of the tokenizer, exposed for tests.
bool IsLetter(char32_t c);
bool IsNumber(char32_t c);
bool IsSpace(char32_t c);
char32_t ToLower(char32_t c);

}  // namespace reco::clip
