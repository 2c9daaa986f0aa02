// Message templates: the text of a WeCom message with placeholders, in a small language of our
// own that only substitutes values and repeats or skips sections (it runs no code):
//
//   {{name}}              the value of `name` (inserted as is; "" when absent)
//   {{#name}}...{{/name}} the inside once when the value is not empty, else nothing
//   {{^name}}...{{/name}} the inside once when the value is empty
//   {{#alerts}}...{{/alerts}}  the inside once per alert of the group (at most one such section,
//                         at the top level); inside it the names are the alert's
//   {{! comment }}        nothing
//
// A line holding only a section, closing or comment tag (and blanks) is dropped whole, newline
// included, so that sections can stand on lines of their own. The names are listed in
// docs/gateway.md; an unknown name or an unbalanced section is an error naming the line. The
// built-in zh-CN and en messages are templates of this language too (BuiltinTemplate).
//
// Thread-safety: a parsed MessageTemplate is an immutable value, safe to render from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "gateway/alert_payload.h"

namespace reco::gateway {

class MessageTemplate {
 public:
  // The rendered template cut where the alerts go, so that the caller can keep whole alerts
  // within a size limit: the text before {{#alerts}}, one block per alert, the text after.
  struct Parts {
    std::string head;
    std::vector<std::string> alerts;
    std::string tail;
  };

  // Parses `source`; errors are InvalidArgument naming `field` with a message that starts with
  // "ORIGIN:LINE: " (`origin` is the file name, or what the template is).
  static Result<MessageTemplate> Parse(std::string_view source, std::string_view origin,
                                       std::string_view field);
  // Reads and parses the file `path` (at most 64 KiB).
  static Result<std::shared_ptr<const MessageTemplate>> Load(const std::string& path,
                                                             std::string_view field);

  // Renders for `payload`; times are formatted in the process's zone, `time_zone` is the value
  // of {{time_zone}}.
  Parts Render(const AlertPayload& payload, const std::string& time_zone) const;

  struct Node {
    enum class Kind { kText, kValue, kSection, kInverted };
    Kind kind = Kind::kText;
    std::string text;  // the literal text, or the name
    std::vector<Node> children;
  };

 private:
  std::vector<Node> head_;
  std::vector<Node> alert_block_;
  std::vector<Node> tail_;
};

// The built-in message of `language` ("zh-CN" or "en"; anything else is zh-CN), markdown or text.
const MessageTemplate& BuiltinTemplate(std::string_view language, bool markdown);
// Its source, for docs and as a start for a template file of one's own.
std::string BuiltinTemplateSource(std::string_view language, bool markdown);

}  // namespace reco::gateway
