// Text features of the built-in text embedder: the words of a text and the character n-grams of
// each word, so that languages written without spaces (Chinese, Japanese) match on shared
// character pairs and triples without a word segmenter, and Latin words match on shared stems.
//
// A word is a maximal run of letters and digits (ASCII letters lowercased); punctuation, spaces,
// symbols and invalid UTF-8 bytes separate words, and a word also ends where the text switches
// between CJK (Han, kana, Hangul) and other characters. Features are "w:<word>" for each word and
// "c:<gram>" for each run of n code points of a word, ngram_min <= n <= ngram_max (a word shorter
// than ngram_min gives its "w:" feature only).
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/types.h"

namespace reco::content {

struct TextFeatureOptions {
  int ngram_min = 2;  // 1..ngram_max
  int ngram_max = 3;  // ngram_min..8
};

// InvalidArgument naming "content.text_ngram_min" / "content.text_ngram_max".
Status ValidateTextFeatureOptions(const TextFeatureOptions& options);

// The words of `text`, in order (lowercased ASCII; other characters as they are).
std::vector<std::string> TextWords(std::string_view text);

// The features of `text`, in order of appearance, with repeats (term counts).
std::vector<std::string> TextFeatures(std::string_view text, const TextFeatureOptions& options);

// The text of an item the embedder reads: the "title" label first, then the other string values
// of its labels (object values and array elements, nested; keys are not text, and the label
// `skip_label` — where supplied vectors live — is left out), the categories and the comment,
// separated by newlines.
std::string ItemText(const Item& item, std::string_view skip_label = "embedding");

}  // namespace reco::content
