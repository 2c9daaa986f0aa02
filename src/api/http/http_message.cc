#include "api/http/http_message.h"

#include "core/json_writer.h"

namespace reco {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

// Assigns into slot `index` of `pairs`, growing it only when needed (strings keep capacity).
std::pair<std::string, std::string>& Slot(std::vector<std::pair<std::string, std::string>>& pairs,
                                          size_t index) {
  if (index == pairs.size()) pairs.emplace_back();
  return pairs[index];
}

// Frees `s`'s buffer when its capacity exceeds `max_bytes`; true when it did.
bool ReleaseStringAbove(std::string& s, size_t max_bytes) {
  if (s.capacity() <= max_bytes) return false;
  std::string().swap(s);
  return true;
}

}  // namespace

bool PercentDecode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

std::string_view HttpRequest::query_string() const {
  if (path_size_ >= target_.size()) return {};
  return std::string_view(target_).substr(path_size_ + 1);
}

std::optional<std::string_view> HttpRequest::Query(std::string_view name) const {
  for (size_t i = 0; i < num_query_; ++i) {
    if (query_[i].first == name) return std::string_view(query_[i].second);
  }
  return std::nullopt;
}

std::string_view HttpRequest::Header(std::string_view name) const {
  const std::string_view data = header_data_;
  for (const HeaderRef& h : headers_) {
    if (EqualsIgnoreCase(data.substr(h.name_offset, h.name_size), name)) {
      return data.substr(h.value_offset, h.value_size);
    }
  }
  return {};
}

std::string_view HttpRequest::Param(std::string_view name) const {
  for (size_t i = 0; i < num_params_; ++i) {
    if (params_[i].first == name) return params_[i].second;
  }
  return {};
}

void HttpRequest::Reset() {
  method_.clear();
  version_ = 11;
  target_.clear();
  path_size_ = 0;
  header_data_.clear();
  headers_.clear();
  num_query_ = 0;
  num_params_ = 0;
  body_.clear();
  route_ = kUnmatchedRoute;
  blocking_ = false;
  request_id_.clear();
}

void HttpRequest::SetTarget(std::string_view target) {
  target_.assign(target);
  const size_t q = target.find('?');
  path_size_ = q == std::string_view::npos ? target.size() : q;
  num_query_ = 0;
  if (q == std::string_view::npos) return;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    auto& slot = Slot(query_, num_query_);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    // A malformed escape keeps the raw text: query values are validated by the handlers.
    if (!PercentDecode(part.substr(0, eq), slot.first, true)) slot.first.assign(part.substr(0, eq));
    if (!PercentDecode(raw_value, slot.second, true)) slot.second.assign(raw_value);
    ++num_query_;
  }
}

void HttpRequest::AddHeader(std::string_view name, std::string_view value) {
  HeaderRef ref;
  ref.name_offset = static_cast<uint32_t>(header_data_.size());
  ref.name_size = static_cast<uint32_t>(name.size());
  header_data_.append(name);
  ref.value_offset = static_cast<uint32_t>(header_data_.size());
  ref.value_size = static_cast<uint32_t>(value.size());
  header_data_.append(value);
  headers_.push_back(ref);
}

void HttpRequest::SetParam(std::string_view name, std::string_view decoded_value) {
  auto& slot = Slot(params_, num_params_);
  slot.first.assign(name);
  slot.second.assign(decoded_value);
  ++num_params_;
}

bool HttpRequest::AddEncodedParam(std::string_view name, std::string_view encoded) {
  auto& slot = Slot(params_, num_params_);
  if (!PercentDecode(encoded, slot.second, false)) return false;
  slot.first.assign(name);
  ++num_params_;
  return true;
}

void HttpRequest::PadBody() {
  if (body_.capacity() < body_.size() + kBodyPadding) body_.reserve(body_.size() + kBodyPadding);
}

bool HttpRequest::ReleaseBufferAbove(size_t max_bytes) {
  return ReleaseStringAbove(body_, max_bytes);
}

void HttpResponse::Reset() {
  status = 200;
  body.clear();
  content_type.assign("application/json");
  headers.clear();
}

bool HttpResponse::ReleaseBufferAbove(size_t max_bytes) {
  return ReleaseStringAbove(body, max_bytes);
}

bool IsStandardMethod(std::string_view method) { return MethodLabel(method) != "other"; }

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::string_view kStandard[] = {"GET",   "HEAD",    "POST",    "PUT",  "DELETE",
                                                   "PATCH", "OPTIONS", "CONNECT", "TRACE"};
  for (std::string_view m : kStandard) {
    if (m == method) return m;
  }
  return "other";
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kInsufficientStorage:
      return 507;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDataLoss:
      return 500;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view HttpStatusName(int http_status) {
  switch (http_status) {
    case 400:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 405:
      return "METHOD_NOT_ALLOWED";
    case 408:
      return "REQUEST_TIMEOUT";
    case 409:
      return "CONFLICT";
    case 413:
      return "PAYLOAD_TOO_LARGE";
    case 414:
      return "URI_TOO_LONG";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 431:
      return "HEADERS_TOO_LARGE";
    case 501:
      return "UNIMPLEMENTED";
    case 503:
      return "UNAVAILABLE";
    case 507:
      return "INSUFFICIENT_STORAGE";
    default:
      break;
  }
  if (http_status >= 400 && http_status < 500) return "FAILED_REQUEST";
  if (http_status >= 500) return "INTERNAL";
  return "OK";
}

void SetJsonError(HttpResponse& response, int http_status, std::string_view message,
                  std::string_view field, std::string_view status_name) {
  response.status = http_status;
  response.content_type.assign("application/json");
  std::string& out = response.body;
  out.clear();
  out += "{\"error\":{\"code\":";
  out += std::to_string(http_status);
  out += ",\"status\":";
  AppendJsonString(out, status_name.empty() ? HttpStatusName(http_status) : status_name);
  out += ",\"message\":";
  AppendJsonString(out, message);
  if (!field.empty()) {
    out += ",\"field\":";
    AppendJsonString(out, field);
  }
  out += "}}";
}

void SetStatusError(HttpResponse& response, const Status& status) {
  SetJsonError(response, HttpStatusFor(status.code()), status.message(), status.field(),
               StatusCodeName(status.code()));
}

}  // namespace reco
