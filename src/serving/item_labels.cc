#include "serving/item_labels.h"

#include <simdjson.h>

namespace reco {
namespace {

using simdjson::dom::element;

void AddValueLabels(std::string_view key, element value, std::vector<std::string>& out) {
  std::string_view text;
  bool flag = false;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    out.push_back(std::string(key) + ":" + std::string(text));
  } else if (value.get_bool().get(flag) == simdjson::SUCCESS) {
    if (flag) out.emplace_back(key);
  } else if (simdjson::dom::array array; value.get_array().get(array) == simdjson::SUCCESS) {
    for (element e : array) {
      if (e.get_string().get(text) == simdjson::SUCCESS) {
        out.push_back(std::string(key) + ":" + std::string(text));
      }
    }
  }
}

}  // namespace

std::vector<std::string> ItemLabels(std::string_view labels_json) {
  std::vector<std::string> out;
  // Most items have no labels: skip the parser for the defaults.
  if (labels_json.empty() || labels_json == "null" || labels_json == "[]" || labels_json == "{}") {
    return out;
  }
  thread_local simdjson::dom::parser parser;
  element root;
  if (parser.parse(labels_json.data(), labels_json.size()).get(root) != simdjson::SUCCESS) {
    return out;
  }
  std::string_view text;
  if (simdjson::dom::array array; root.get_array().get(array) == simdjson::SUCCESS) {
    for (element e : array) {
      if (e.get_string().get(text) == simdjson::SUCCESS) out.emplace_back(text);
    }
  } else if (simdjson::dom::object object; root.get_object().get(object) == simdjson::SUCCESS) {
    for (auto field : object) AddValueLabels(field.key, field.value, out);
  }
  return out;
}

}  // namespace reco
