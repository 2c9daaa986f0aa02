#include "ingest/gorse_json_decode.h"

#include <cmath>
#include <cstring>

#include "ingest/time_limits.h"

namespace reco::ingest {
namespace od = simdjson::ondemand;

std::string DecodeContext::FieldName(std::string_view name) const {
  if (index_ < 0) return std::string(name);
  std::string out(1, '[');
  out += std::to_string(index_);
  out.push_back(']');
  if (!name.empty()) {
    out.push_back('.');
    out.append(name);
  }
  return out;
}

Status DecodeContext::Malformed(simdjson::error_code error) {
  fatal_ = true;
  std::string msg = "malformed JSON";
  const char* loc = nullptr;
  if (doc_ != nullptr && doc_->current_location().get(loc) == simdjson::SUCCESS && loc > base_) {
    msg += " at byte " + std::to_string(loc - base_);
  }
  msg += ": ";
  msg += simdjson::error_message(error);
  return InvalidArgument(std::move(msg));
}

Status DecodeContext::FieldError(std::string_view name, std::string_view problem) const {
  std::string field = FieldName(name);
  return InvalidArgument(field + " " + std::string(problem), field);
}

namespace {

// Reads the value's type; a malformed token is a fatal error.
Status TypeOf(od::value& v, DecodeContext& ctx, od::json_type& type) {
  if (auto e = v.type().get(type)) return ctx.Malformed(e);
  return Status::Ok();
}

// An error from a getter whose type was already checked: the token itself is malformed.
Status GetterError(simdjson::error_code e, std::string_view name, std::string_view what,
                   DecodeContext& ctx) {
  if (e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE) {
    return ctx.FieldError(name, "is not a valid " + std::string(what));
  }
  return ctx.Malformed(e);
}

Status ReadString(od::value& v, DecodeContext& ctx, std::string_view name, bool null_ok,
                  std::string& out) {
  od::json_type type{};
  RECO_RETURN_IF_ERROR(TypeOf(v, ctx, type));
  if (type == od::json_type::null && null_ok) {
    out.clear();
    return Status::Ok();
  }
  if (type != od::json_type::string) return ctx.FieldError(name, "must be a string");
  std::string_view s;
  if (auto e = v.get_string().get(s)) return ctx.Malformed(e);
  out.assign(s);
  return Status::Ok();
}

Status ReadId(od::value& v, DecodeContext& ctx, std::string_view name, std::string& out) {
  std::string_view s;
  auto error = v.get_string().get(s);
  if (error == simdjson::INCORRECT_TYPE) {
    od::json_type type{};
    RECO_RETURN_IF_ERROR(TypeOf(v, ctx, type));
    if (type == od::json_type::null) return ctx.FieldError(name, "is missing");
    return ctx.FieldError(name, "must be a string");
  }
  if (error) return ctx.Malformed(error);
  if (s.empty()) return ctx.FieldError(name, "must not be empty");
  if (s.size() > kMaxIdBytes) {
    return ctx.FieldError(name, "is longer than " + std::to_string(kMaxIdBytes) + " bytes");
  }
  out.assign(s);
  return Status::Ok();
}

Status ReadBool(od::value& v, DecodeContext& ctx, std::string_view name, bool& out) {
  od::json_type type{};
  RECO_RETURN_IF_ERROR(TypeOf(v, ctx, type));
  if (type != od::json_type::boolean) return ctx.FieldError(name, "must be a boolean");
  if (auto e = v.get_bool().get(out)) return GetterError(e, name, "boolean", ctx);
  return Status::Ok();
}

Status ReadNumber(od::value& v, DecodeContext& ctx, std::string_view name, double& out) {
  od::json_type type{};
  RECO_RETURN_IF_ERROR(TypeOf(v, ctx, type));
  if (type != od::json_type::number) return ctx.FieldError(name, "must be a number");
  if (auto e = v.get_double().get(out)) return GetterError(e, name, "number", ctx);
  return Status::Ok();
}

Status ReadCategories(od::value& v, DecodeContext& ctx, std::vector<std::string>& out) {
  out.clear();
  od::json_type type{};
  RECO_RETURN_IF_ERROR(TypeOf(v, ctx, type));
  if (type == od::json_type::null) return Status::Ok();
  if (type != od::json_type::array)
    return ctx.FieldError("Categories", "must be an array of strings");
  od::array arr;
  if (auto e = v.get_array().get(arr)) return ctx.Malformed(e);
  for (auto element_result : arr) {
    od::value element;
    if (auto e = element_result.get(element)) return ctx.Malformed(e);
    od::json_type element_type{};
    RECO_RETURN_IF_ERROR(TypeOf(element, ctx, element_type));
    if (element_type != od::json_type::string) {
      return ctx.FieldError("Categories", "must be an array of strings");
    }
    std::string_view s;
    if (auto e = element.get_string().get(s)) return ctx.Malformed(e);
    out.emplace_back(s);
  }
  return Status::Ok();
}

bool HasWhitespace(std::string_view s) {
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') return true;
  }
  return false;
}

// Keeps any JSON value as compact raw text; arrays and objects are validated in full.
Status ReadRaw(od::value& v, DecodeContext& ctx, std::string_view name, std::string& out) {
  od::json_type type{};
  RECO_RETURN_IF_ERROR(TypeOf(v, ctx, type));
  std::string_view raw;
  simdjson::error_code e = simdjson::SUCCESS;
  if (type == od::json_type::array) {
    od::array arr;
    e = v.get_array().get(arr);
    if (!e) e = arr.raw_json().get(raw);
  } else if (type == od::json_type::object) {
    od::object obj;
    e = v.get_object().get(obj);
    if (!e) e = obj.raw_json().get(raw);
  } else {
    raw = v.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' || raw.back() == '\r')) {
      raw.remove_suffix(1);
    }
  }
  if (e) return ctx.Malformed(e);
  if (HasWhitespace(raw)) {
    out.resize(raw.size() + kJsonPadding);
    size_t len = 0;
    if (simdjson::minify(raw.data(), raw.size(), out.data(), len)) {
      return ctx.FieldError(name, "is not valid JSON");
    }
    out.resize(len);
  } else {
    out.assign(raw);
  }
  simdjson::dom::element parsed;
  if (ctx.validator().parse(out.data(), out.size(), true).get(parsed)) {
    return ctx.FieldError(name, "is not valid JSON");
  }
  return Status::Ok();
}

// RFC 3339 string or Unix seconds, in years 0000..9999 and not after the options' latest time.
// Null or "" sets `empty` and gives the default.
Status ReadTimestamp(od::value& v, DecodeContext& ctx, std::string_view name, TimestampUs& out,
                     bool& empty) {
  empty = false;
  od::json_type type{};
  RECO_RETURN_IF_ERROR(TypeOf(v, ctx, type));
  std::string_view s;
  if (type == od::json_type::string) {
    if (auto e = v.get_string().get(s)) return ctx.Malformed(e);
  }
  if (type == od::json_type::null || (type == od::json_type::string && s.empty())) {
    empty = true;
    out = ctx.options().default_timestamp;
    return Status::Ok();
  }
  if (type == od::json_type::number) {
    double seconds = 0;
    if (auto e = v.get_double().get(seconds)) return GetterError(e, name, "number", ctx);
    Result<TimestampUs> ts = TimestampFromSeconds(seconds);
    if (!ts.ok()) return ctx.FieldError(name, ts.status().message());
    out = *ts;
  } else if (type == od::json_type::string) {
    Result<TimestampUs> parsed = ParseTimestamp(s);
    if (!parsed.ok()) return ctx.FieldError(name, "is invalid: " + parsed.status().message());
    out = *parsed;
  } else {
    return ctx.FieldError(name, "must be an RFC 3339 string or a number of Unix seconds");
  }
  if (out > ctx.options().latest_timestamp) {
    return ctx.FieldError(name, FutureTimestampProblem(out, ctx.options().latest_timestamp));
  }
  return Status::Ok();
}

// Calls on_field(key, value) for every field; unknown keys are simply not consumed.
template <typename Fn>
Status ForEachField(od::object& obj, DecodeContext& ctx, Fn&& on_field) {
  for (auto field_result : obj) {
    od::field field;
    if (auto e = std::move(field_result).get(field)) return ctx.Malformed(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return ctx.Malformed(e);
    od::value value = field.value();
    RECO_RETURN_IF_ERROR(on_field(key, value));
  }
  return Status::Ok();
}

bool IsNull(od::value& v) {
  od::json_type type{};
  return v.type().get(type) == simdjson::SUCCESS && type == od::json_type::null;
}

}  // namespace

Status DecodeObject(od::object& obj, DecodeContext& ctx, User& out) {
  bool has_id = false;
  RECO_RETURN_IF_ERROR(ForEachField(obj, ctx, [&](std::string_view key, od::value& v) {
    if (key == "UserId") {
      has_id = true;
      return ReadId(v, ctx, "UserId", out.user_id);
    }
    if (key == "Labels") return ReadRaw(v, ctx, "Labels", out.labels_json);
    if (key == "Comment") return ReadString(v, ctx, "Comment", true, out.comment);
    return Status::Ok();
  }));
  if (!has_id) return ctx.FieldError("UserId", "is missing");
  return Status::Ok();
}

Status DecodeObject(od::object& obj, DecodeContext& ctx, Item& out) {
  bool has_id = false;
  bool has_timestamp = false;
  RECO_RETURN_IF_ERROR(ForEachField(obj, ctx, [&](std::string_view key, od::value& v) {
    if (key == "ItemId") {
      has_id = true;
      return ReadId(v, ctx, "ItemId", out.item_id);
    }
    if (key == "IsHidden") {
      if (IsNull(v)) return Status::Ok();
      return ReadBool(v, ctx, "IsHidden", out.is_hidden);
    }
    if (key == "Categories") return ReadCategories(v, ctx, out.categories);
    if (key == "Labels") return ReadRaw(v, ctx, "Labels", out.labels_json);
    if (key == "Timestamp") {
      has_timestamp = true;
      bool empty = false;
      return ReadTimestamp(v, ctx, "Timestamp", out.timestamp, empty);
    }
    if (key == "Comment") return ReadString(v, ctx, "Comment", true, out.comment);
    return Status::Ok();
  }));
  if (!has_id) return ctx.FieldError("ItemId", "is missing");
  if (!has_timestamp) out.timestamp = ctx.options().default_timestamp;
  return Status::Ok();
}

Status DecodeObject(od::object& obj, DecodeContext& ctx, Feedback& out) {
  bool has_type = false, has_user = false, has_item = false, has_timestamp = false;
  RECO_RETURN_IF_ERROR(ForEachField(obj, ctx, [&](std::string_view key, od::value& v) {
    if (key == "FeedbackType") {
      has_type = true;
      return ReadId(v, ctx, "FeedbackType", out.feedback_type);
    }
    if (key == "UserId") {
      has_user = true;
      return ReadId(v, ctx, "UserId", out.user_id);
    }
    if (key == "ItemId") {
      has_item = true;
      return ReadId(v, ctx, "ItemId", out.item_id);
    }
    if (key == "Value") {
      if (IsNull(v)) return Status::Ok();
      return ReadNumber(v, ctx, "Value", out.value);
    }
    if (key == "Timestamp") {
      has_timestamp = true;
      bool empty = false;
      return ReadTimestamp(v, ctx, "Timestamp", out.timestamp, empty);
    }
    if (key == "Comment") return ReadString(v, ctx, "Comment", true, out.comment);
    return Status::Ok();
  }));
  if (!has_type) return ctx.FieldError("FeedbackType", "is missing");
  if (!has_user) return ctx.FieldError("UserId", "is missing");
  if (!has_item) return ctx.FieldError("ItemId", "is missing");
  if (!has_timestamp) out.timestamp = ctx.options().default_timestamp;
  return Status::Ok();
}

Status DecodeObject(od::object& obj, DecodeContext& ctx, UserPatch& out) {
  return ForEachField(obj, ctx, [&](std::string_view key, od::value& v) {
    if (IsNull(v)) return Status::Ok();
    if (key == "Labels") return ReadRaw(v, ctx, "Labels", out.labels_json.emplace());
    if (key == "Comment") return ReadString(v, ctx, "Comment", false, out.comment.emplace());
    return Status::Ok();
  });
}

Status DecodeObject(od::object& obj, DecodeContext& ctx, ItemPatch& out) {
  return ForEachField(obj, ctx, [&](std::string_view key, od::value& v) {
    if (IsNull(v)) return Status::Ok();
    if (key == "IsHidden") return ReadBool(v, ctx, "IsHidden", out.is_hidden.emplace());
    if (key == "Categories") return ReadCategories(v, ctx, out.categories.emplace());
    if (key == "Labels") return ReadRaw(v, ctx, "Labels", out.labels_json.emplace());
    if (key == "Comment") return ReadString(v, ctx, "Comment", false, out.comment.emplace());
    if (key == "Timestamp") {
      TimestampUs ts = 0;
      bool empty = false;
      RECO_RETURN_IF_ERROR(ReadTimestamp(v, ctx, "Timestamp", ts, empty));
      if (!empty) out.timestamp = ts;
      return Status::Ok();
    }
    return Status::Ok();
  });
}

}  // namespace reco::ingest
