// Internal to the Gorse JSON codecs: decoding one simdjson on-demand object into User, Item,
// Feedback, UserPatch or ItemPatch, with field-naming errors. Include gorse_json.h instead.
//
// Thread-safety: a DecodeContext belongs to one parse on one thread.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/gorse_json.h"
#include "store/types.h"

namespace reco::ingest {

class DecodeContext {
 public:
  DecodeContext(const ParseOptions& options, simdjson::dom::parser& validator, const char* base,
                simdjson::ondemand::document* doc)
      : options_(options), validator_(validator), base_(base), doc_(doc) {}

  const ParseOptions& options() const { return options_; }
  simdjson::dom::parser& validator() { return validator_; }
  void set_index(int64_t index) { index_ = index; }
  // True once a malformed-JSON error was produced: the document cannot be walked further.
  bool fatal() const { return fatal_; }

  // "ItemId", or "[2].ItemId" inside an array.
  std::string FieldName(std::string_view name) const;
  // "malformed JSON at byte N: <reason>"; marks the context fatal.
  Status Malformed(simdjson::error_code error);
  // "<field> <problem>", e.g. "IsHidden must be a boolean", with field() = FieldName(name).
  Status FieldError(std::string_view name, std::string_view problem) const;

 private:
  const ParseOptions& options_;
  simdjson::dom::parser& validator_;
  const char* base_;
  simdjson::ondemand::document* doc_;
  int64_t index_ = -1;
  bool fatal_ = false;
};

Status DecodeObject(simdjson::ondemand::object& obj, DecodeContext& ctx, User& out);
Status DecodeObject(simdjson::ondemand::object& obj, DecodeContext& ctx, Item& out);
Status DecodeObject(simdjson::ondemand::object& obj, DecodeContext& ctx, Feedback& out);
Status DecodeObject(simdjson::ondemand::object& obj, DecodeContext& ctx, UserPatch& out);
Status DecodeObject(simdjson::ondemand::object& obj, DecodeContext& ctx, ItemPatch& out);

// One array element: must be an object.
template <typename T>
Result<T> DecodeElement(simdjson::ondemand::value& element, DecodeContext& ctx) {
  simdjson::ondemand::json_type type{};
  if (auto e = element.type().get(type)) return ctx.Malformed(e);
  if (type != simdjson::ondemand::json_type::object) {
    return InvalidArgument(ctx.FieldName("") + " must be an object", ctx.FieldName(""));
  }
  simdjson::ondemand::object obj;
  if (auto e = element.get_object().get(obj)) return ctx.Malformed(e);
  T out;
  RECO_RETURN_IF_ERROR(DecodeObject(obj, ctx, out));
  return out;
}

}  // namespace reco::ingest
