#include "api/json_body.h"

#include <algorithm>
#include <cctype>

namespace reco::api {

Status ForEachBodyField(std::string_view body, std::string_view example,
                        const BodyFieldReader& read) {
  if (std::all_of(body.begin(), body.end(), [](unsigned char c) { return std::isspace(c); })) {
    return Status::Ok();
  }
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(std::string(body)).get(doc) != simdjson::SUCCESS) {
    return InvalidArgument("request body is not valid JSON", "body");
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidArgument("request body must be a JSON object like " + std::string(example),
                           "body");
  }
  for (auto field : object) RECO_RETURN_IF_ERROR(read(field.key, field.value));
  return Status::Ok();
}

Result<std::string> StringField(simdjson::dom::element value, std::string_view key) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) {
    return InvalidArgument(std::string(key) + " must be a string", std::string(key));
  }
  return std::string(text);
}

Result<double> NumberField(simdjson::dom::element value, std::string_view key) {
  double number = 0;
  if (value.get_double().get(number) != simdjson::SUCCESS) {
    return InvalidArgument(std::string(key) + " must be a number", std::string(key));
  }
  return number;
}

Status UnknownField(std::string_view key, std::string_view expected) {
  return InvalidArgument(
      "unknown field \"" + std::string(key) + "\" (expected " + std::string(expected) + ")",
      std::string(key));
}

}  // namespace reco::api
