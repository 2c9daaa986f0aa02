#include "ingest/gorse_json.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ingest/gorse_json_decode.h"

namespace reco::ingest {
namespace od = simdjson::ondemand;

namespace {

Status ExpectedTopLevel(std::string_view what) {
  return InvalidArgument("expected a JSON " + std::string(what) + " at the top level");
}

// Ok when the whole document was consumed; an error naming the byte offset otherwise.
Status CheckAtEnd(od::document& doc, const char* base) {
  const char* loc = nullptr;
  if (doc.current_location().get(loc) != simdjson::SUCCESS) return Status::Ok();
  return InvalidArgument("malformed JSON at byte " + std::to_string(loc - base) +
                         ": unexpected content after the JSON value");
}

}  // namespace

std::string_view GorseJsonParser::Pad(std::string_view json) {
  padded_.assign(json);
  padded_.append(kJsonPadding, ' ');
  return std::string_view(padded_.data(), json.size());
}

size_t GorseJsonParser::buffer_capacity() const {
  return std::max({padded_.capacity(), parser_.capacity(), validator_.capacity()});
}

bool GorseJsonParser::ReleaseBuffersAbove(size_t max_bytes) {
  if (buffer_capacity() <= max_bytes) return false;
  parser_ = simdjson::ondemand::parser();
  validator_ = simdjson::dom::parser();
  std::string().swap(padded_);
  return true;
}

template <typename T>
Result<T> GorseJsonParser::ParseObject(std::string_view json) {
  return ParseObjectPadded<T>(Pad(json));
}

template <typename T>
Result<T> GorseJsonParser::ParseObjectPadded(std::string_view json) {
  od::document doc;
  auto error = parser_.iterate(json.data(), json.size(), json.size() + kJsonPadding).get(doc);
  DecodeContext ctx(options_, validator_, json.data(), error ? nullptr : &doc);
  if (error) return ctx.Malformed(error);
  od::json_type type{};
  if (auto e = doc.type().get(type)) return ctx.Malformed(e);
  if (type != od::json_type::object) return ExpectedTopLevel("object");
  od::object obj;
  if (auto e = doc.get_object().get(obj)) return ctx.Malformed(e);
  T out;
  RECO_RETURN_IF_ERROR(DecodeObject(obj, ctx, out));
  RECO_RETURN_IF_ERROR(CheckAtEnd(doc, json.data()));
  return out;
}

namespace {

// Walks a padded JSON array of objects; fn(index, offset, Result<T>&&) returns false to stop.
// When `reserve` is set, it is grown to the element count first.
template <typename T, typename Fn>
Status WalkArray(od::parser& parser, const ParseOptions& options, simdjson::dom::parser& validator,
                 std::string_view json, std::vector<T>* reserve, Fn&& fn) {
  od::document doc;
  auto error = parser.iterate(json.data(), json.size(), json.size() + kJsonPadding).get(doc);
  DecodeContext ctx(options, validator, json.data(), error ? nullptr : &doc);
  if (error) return ctx.Malformed(error);
  od::json_type type{};
  if (auto e = doc.type().get(type)) return ctx.Malformed(e);
  if (type != od::json_type::array) return ExpectedTopLevel("array");
  od::array arr;
  if (auto e = doc.get_array().get(arr)) return ctx.Malformed(e);
  if (reserve != nullptr) {
    size_t count = 0;
    if (auto e = arr.count_elements().get(count)) return ctx.Malformed(e);
    reserve->reserve(count);
  }
  size_t index = 0;
  for (auto element_result : arr) {
    od::value element;
    if (auto e = element_result.get(element)) return ctx.Malformed(e);
    size_t offset = static_cast<size_t>(element.raw_json_token().data() - json.data());
    ctx.set_index(static_cast<int64_t>(index));
    Result<T> parsed = DecodeElement<T>(element, ctx);
    if (ctx.fatal()) return parsed.status();
    if (!fn(index, offset, std::move(parsed))) return Status::Ok();
    ++index;
  }
  return CheckAtEnd(doc, json.data());
}

}  // namespace

template <typename T>
Status GorseJsonParser::ForEachInArrayPadded(
    std::string_view json, const std::function<void(size_t, size_t, Result<T>&&)>& fn) {
  return WalkArray<T>(parser_, options_, validator_, json, nullptr,
                      [&fn](size_t index, size_t offset, Result<T>&& r) {
                        fn(index, offset, std::move(r));
                        return true;
                      });
}

template <typename T>
Result<std::vector<T>> GorseJsonParser::ParseArray(std::string_view json) {
  std::vector<T> out;
  Status first_error;
  Status walked = WalkArray<T>(parser_, options_, validator_, Pad(json), &out,
                               [&](size_t, size_t, Result<T>&& r) {
                                 if (!r.ok()) {
                                   first_error = r.status();
                                   return false;
                                 }
                                 out.push_back(std::move(r).value());
                                 return true;
                               });
  RECO_RETURN_IF_ERROR(walked);
  RECO_RETURN_IF_ERROR(first_error);
  return out;
}

#define RECO_INSTANTIATE_GORSE_PARSER(T)                                            \
  template Result<T> GorseJsonParser::ParseObject<T>(std::string_view);             \
  template Result<T> GorseJsonParser::ParseObjectPadded<T>(std::string_view);       \
  template Result<std::vector<T>> GorseJsonParser::ParseArray<T>(std::string_view); \
  template Status GorseJsonParser::ForEachInArrayPadded<T>(                         \
      std::string_view, const std::function<void(size_t, size_t, Result<T> &&)>&);

RECO_INSTANTIATE_GORSE_PARSER(User)
RECO_INSTANTIATE_GORSE_PARSER(Item)
RECO_INSTANTIATE_GORSE_PARSER(Feedback)
RECO_INSTANTIATE_GORSE_PARSER(UserPatch)
RECO_INSTANTIATE_GORSE_PARSER(ItemPatch)
#undef RECO_INSTANTIATE_GORSE_PARSER

Result<User> ParseUser(std::string_view json, const ParseOptions& options) {
  return GorseJsonParser(options).ParseObject<User>(json);
}
Result<Item> ParseItem(std::string_view json, const ParseOptions& options) {
  return GorseJsonParser(options).ParseObject<Item>(json);
}
Result<Feedback> ParseFeedback(std::string_view json, const ParseOptions& options) {
  return GorseJsonParser(options).ParseObject<Feedback>(json);
}
Result<std::vector<User>> ParseUsers(std::string_view json, const ParseOptions& options) {
  return GorseJsonParser(options).ParseArray<User>(json);
}
Result<std::vector<Item>> ParseItems(std::string_view json, const ParseOptions& options) {
  return GorseJsonParser(options).ParseArray<Item>(json);
}
Result<std::vector<Feedback>> ParseFeedbackList(std::string_view json,
                                                const ParseOptions& options) {
  return GorseJsonParser(options).ParseArray<Feedback>(json);
}
Result<UserPatch> ParseUserPatch(std::string_view json) {
  return GorseJsonParser().ParseObject<UserPatch>(json);
}
Result<ItemPatch> ParseItemPatch(std::string_view json) {
  return GorseJsonParser().ParseObject<ItemPatch>(json);
}

void WriteUser(JsonWriter& w, const User& user) {
  w.BeginObject();
  w.Key("UserId").String(user.user_id);
  w.Key("Labels").Raw(user.labels_json);
  w.Key("Subscribe").Null();
  w.Key("Comment").String(user.comment);
  w.EndObject();
}

void WriteItem(JsonWriter& w, const Item& item) {
  w.BeginObject();
  w.Key("ItemId").String(item.item_id);
  w.Key("IsHidden").Bool(item.is_hidden);
  w.Key("Categories").StringArray(item.categories);
  w.Key("Timestamp").Timestamp(item.timestamp);
  w.Key("Labels").Raw(item.labels_json);
  w.Key("Comment").String(item.comment);
  w.EndObject();
}

void WriteFeedback(JsonWriter& w, const Feedback& feedback) {
  w.BeginObject();
  w.Key("FeedbackType").String(feedback.feedback_type);
  w.Key("UserId").String(feedback.user_id);
  w.Key("ItemId").String(feedback.item_id);
  w.Key("Value").Double(feedback.value);
  w.Key("Timestamp").Timestamp(feedback.timestamp);
  w.Key("Comment").String(feedback.comment);
  w.EndObject();
}

}  // namespace reco::ingest
