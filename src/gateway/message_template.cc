#include "gateway/message_template.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <system_error>

#include "core/file_util.h"
#include "gateway/message.h"

namespace reco::gateway {
namespace {

using Node = MessageTemplate::Node;
using Kind = Node::Kind;

constexpr size_t kMaxTemplateBytes = 64 * 1024;

// Names with the same meaning everywhere, or the group's meaning outside {{#alerts}}.
constexpr std::array<std::string_view, 15> kGroupNames = {
    "status",       "receiver",      "color",           "firing",    "resolved",
    "alerts_total", "alerts_firing", "alerts_resolved", "time_zone", "external_url",
    "alertname",    "severity",      "instance",        "summary",   "description"};
// Names that only an alert has.
constexpr std::array<std::string_view, 4> kAlertNames = {"starts_at", "ends_at", "generator_url",
                                                         "fingerprint"};
constexpr std::array<std::string_view, 3> kMapPrefixes = {"labels.", "annotations.",
                                                          "group_labels."};

bool IsLabelName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsMapName(std::string_view name) {
  return std::any_of(kMapPrefixes.begin(), kMapPrefixes.end(), [&](std::string_view p) {
    return name.starts_with(p) && IsLabelName(name.substr(p.size()));
  });
}

template <size_t N>
bool In(const std::array<std::string_view, N>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// "" when `name` may be used here, else why not.
std::string CheckName(std::string_view name, bool in_alerts) {
  if (In(kGroupNames, name) || IsMapName(name)) return "";
  if (In(kAlertNames, name)) {
    return in_alerts ? ""
                     : "{{" + std::string(name) + "}} is an alert's: use it inside {{#alerts}}";
  }
  std::string known;
  for (std::string_view n : kGroupNames) known += std::string(n) + ", ";
  for (std::string_view n : kAlertNames) known += std::string(n) + ", ";
  return "unknown placeholder {{" + std::string(name) + "}} (known: " + known +
         "labels.NAME, annotations.NAME, group_labels.NAME, and the section alerts)";
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool Blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

struct Token {
  char sigil = 0;  // '#', '^', '/', '!' or 0 for a value; 't' for literal text
  std::string text;
  int line = 1;  // of a tag, for errors
};

// Splits the source into literal text and tags; a line holding only a section, closing or
// comment tag is dropped whole.
class Lexer {
 public:
  Lexer(std::string_view src, std::string_view origin, std::string_view field)
      : src_(src), origin_(origin), field_(field) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    size_t pos = 0;
    while (pos < src_.size()) {
      size_t open = src_.find("{{", pos);
      if (open == std::string_view::npos) {
        out.push_back(Token{'t', std::string(src_.substr(pos))});
        break;
      }
      size_t close = src_.find("}}", open + 2);
      if (close == std::string_view::npos) return Error(LineAt(open), "\"{{\" without \"}}\"");
      std::string_view inner = Trim(src_.substr(open + 2, close - open - 2));
      Token tag{0, "", LineAt(open)};
      if (!inner.empty() &&
          std::string_view("#^/!").find(inner.front()) != std::string_view::npos) {
        tag.sigil = inner.front();
        inner = Trim(inner.substr(1));
      }
      tag.text = std::string(inner);
      if (tag.sigil != '!' && tag.text.empty()) return Error(tag.line, "empty placeholder {{}}");
      size_t text_end = open, next = close + 2;
      if (tag.sigil != 0) Standalone(pos, open, text_end, next);
      if (text_end > pos) out.push_back(Token{'t', std::string(src_.substr(pos, text_end - pos))});
      if (tag.sigil != '!') out.push_back(std::move(tag));
      pos = next;
    }
    return out;
  }

  Status Error(int line, const std::string& what) const {
    return InvalidArgument(std::string(origin_) + ":" + std::to_string(line) + ": " + what,
                           std::string(field_));
  }

 private:
  // When the tag at [open, close_end) is alone on its line, the text ends at the line's start
  // and the next text begins after the line's newline.
  void Standalone(size_t pos, size_t open, size_t& text_end, size_t& next) const {
    size_t nl = src_.rfind('\n', open == 0 ? std::string_view::npos : open - 1);
    size_t line_start = (open == 0 || nl == std::string_view::npos) ? 0 : nl + 1;
    if (line_start < pos || !Blank(src_.substr(line_start, open - line_start))) return;
    size_t line_end = src_.find('\n', next);
    size_t rest_end = line_end == std::string_view::npos ? src_.size() : line_end;
    if (!Blank(src_.substr(next, rest_end - next))) return;
    text_end = line_start;
    next = line_end == std::string_view::npos ? src_.size() : line_end + 1;
  }

  int LineAt(size_t pos) {
    for (; counted_ < pos && counted_ < src_.size(); ++counted_) line_ += src_[counted_] == '\n';
    return line_;
  }

  std::string_view src_, origin_, field_;
  size_t counted_ = 0;
  int line_ = 1;
};

struct Open {
  std::vector<Node>* children;
  std::string name;
  int line;
};

// Builds the tree, checking names and balance.
Result<std::vector<Node>> BuildTree(const std::vector<Token>& tokens, const Lexer& lexer) {
  std::vector<Node> root;
  std::vector<Open> stack;  // open sections, innermost last
  bool has_alerts = false;
  auto children = [&]() -> std::vector<Node>& {
    return stack.empty() ? root : *stack.back().children;
  };
  auto in_alerts = [&] {
    return std::any_of(stack.begin(), stack.end(),
                       [](const Open& o) { return o.name == "alerts"; });
  };
  for (const Token& t : tokens) {
    if (t.sigil == 't') {
      children().push_back(Node{Kind::kText, t.text, {}});
      continue;
    }
    if (t.sigil == '/') {
      if (stack.empty()) return lexer.Error(t.line, "{{/" + t.text + "}} closes no open section");
      if (stack.back().name != t.text) {
        return lexer.Error(t.line, "{{/" + t.text + "}} does not close {{#" + stack.back().name +
                                       "}} opened on line " + std::to_string(stack.back().line));
      }
      stack.pop_back();
      continue;
    }
    if (t.text == "alerts") {
      if (t.sigil != '#') {
        return lexer.Error(t.line, "alerts is a section: write {{#alerts}}...{{/alerts}}");
      }
      if (has_alerts || !stack.empty()) {
        return lexer.Error(t.line, "{{#alerts}} may appear once, outside any other section");
      }
      has_alerts = true;
    } else if (std::string why = CheckName(t.text, in_alerts()); !why.empty()) {
      return lexer.Error(t.line, why);
    }
    Kind kind = t.sigil == '#' ? Kind::kSection : t.sigil == '^' ? Kind::kInverted : Kind::kValue;
    children().push_back(Node{kind, t.text, {}});
    if (kind != Kind::kValue) stack.push_back(Open{&children().back().children, t.text, t.line});
  }
  if (!stack.empty()) {
    return lexer.Error(stack.back().line, "{{#" + stack.back().name + "}} is never closed");
  }
  return root;
}

std::string FromMap(const LabelSet& map, std::string_view key) {
  auto it = map.find(std::string(key));
  return it == map.end() ? std::string() : it->second;
}

std::string Count(const AlertPayload& p, int want) {  // want: 1 firing, 0 resolved, -1 all
  size_t n = 0;
  for (const Alert& a : p.alerts) n += want < 0 || a.firing() == (want == 1) ? 1 : 0;
  return std::to_string(n);
}

// The value of `name` for the group, or for `alert` when rendering inside {{#alerts}}.
std::string Value(std::string_view name, const AlertPayload& p, const Alert* a,
                  const std::string& time_zone) {
  bool firing = a != nullptr ? a->firing() : p.status == "firing";
  const LabelSet& labels = a != nullptr ? a->labels : p.common_labels;
  const LabelSet& annotations = a != nullptr ? a->annotations : p.common_annotations;
  if (name == "status") return a != nullptr ? a->status : p.status;
  if (name == "color") return firing ? "warning" : "info";
  if (name == "firing") return firing ? "true" : "";
  if (name == "resolved") return firing ? "" : "true";
  if (name == "receiver") return p.receiver;
  if (name == "alerts_total") return Count(p, -1);
  if (name == "alerts_firing") return Count(p, 1);
  if (name == "alerts_resolved") return Count(p, 0);
  if (name == "time_zone") return time_zone;
  if (name == "external_url") return p.external_url;
  if (name == "alertname" || name == "severity" || name == "instance") return FromMap(labels, name);
  if (name == "summary" || name == "description") return FromMap(annotations, name);
  if (name.starts_with("labels.")) return FromMap(labels, name.substr(7));
  if (name.starts_with("annotations.")) return FromMap(annotations, name.substr(12));
  if (name.starts_with("group_labels.")) return FromMap(p.group_labels, name.substr(13));
  if (a == nullptr) return "";
  if (name == "starts_at") return FormatLocalTime(a->starts_at);
  if (name == "ends_at") return !a->firing() && a->ends_at > 0 ? FormatLocalTime(a->ends_at) : "";
  if (name == "generator_url") return a->generator_url;
  if (name == "fingerprint") return a->fingerprint;
  return "";
}

void RenderNodes(const std::vector<Node>& nodes, const AlertPayload& p, const Alert* a,
                 const std::string& time_zone, std::string& out) {
  for (const Node& n : nodes) {
    switch (n.kind) {
      case Kind::kText:
        out += n.text;
        break;
      case Kind::kValue:
        out += Value(n.text, p, a, time_zone);
        break;
      case Kind::kSection:
      case Kind::kInverted:
        if (Value(n.text, p, a, time_zone).empty() == (n.kind == Kind::kInverted)) {
          RenderNodes(n.children, p, a, time_zone, out);
        }
        break;
    }
  }
}

// The words of a built-in language.
struct Words {
  const char* firing;
  const char* resolved;
  const char* severity;
  const char* summary;
  const char* description;
  const char* instance;
  const char* starts;
  const char* ends;
  const char* source;
};

constexpr Words kZh = {"告警触发", "告警恢复", "级别",     "摘要",    "详情",
                       "实例",     "开始时间", "恢复时间", "查看来源"};
constexpr Words kEn = {"FIRING",   "RESOLVED", "Severity", "Summary", "Description",
                       "Instance", "Started",  "Resolved", "Source"};

std::string StatusWord(const Words& w) {
  return std::string("{{#firing}}") + w.firing + "{{/firing}}{{^firing}}" + w.resolved +
         "{{/firing}}";
}

// "> **Label**: VALUE\n" (markdown) or "Label: VALUE\n" (text).
std::string FieldLine(const char* label, const std::string& value, bool markdown) {
  return (markdown ? std::string("> **") + label + "**: " : std::string(label) + ": ") + value +
         "\n";
}

// `line` only when the value of `name` is not empty.
std::string Optional(const std::string& name, const std::string& line) {
  return "{{#" + name + "}}\n" + line + "{{/" + name + "}}\n";
}

std::string BuiltinSource(const Words& w, bool markdown) {
  std::string title = StatusWord(w) + " [{{alerts_firing}}/{{alerts_total}}] {{receiver}}";
  std::string s = markdown ? "## <font color=\"{{color}}\">" + title + "</font>\n" : title + "\n";
  s += "{{#alerts}}\n\n";
  s += markdown ? "**<font color=\"{{color}}\">" + StatusWord(w) + "</font> {{alertname}}**\n"
                : "[" + StatusWord(w) + "] {{alertname}}\n";
  for (auto [label, name] : {std::pair{w.severity, "severity"},
                             {w.summary, "summary"},
                             {w.description, "description"},
                             {w.instance, "instance"}}) {
    s += Optional(name, FieldLine(label, std::string("{{") + name + "}}", markdown));
  }
  s += FieldLine(w.starts, "{{starts_at}} ({{time_zone}})", markdown);
  s += Optional("ends_at", FieldLine(w.ends, "{{ends_at}} ({{time_zone}})", markdown));
  s += Optional("generator_url", markdown ? std::string("[") + w.source + "]({{generator_url}})\n"
                                          : std::string(w.source) + ": {{generator_url}}\n");
  return s + "{{/alerts}}\n";
}

MessageTemplate ParseBuiltin(const Words& w, bool markdown) {
  Result<MessageTemplate> t = MessageTemplate::Parse(BuiltinSource(w, markdown), "built-in", "");
  return *std::move(t);  // the built-in sources are fixed; message_template_test parses them
}

}  // namespace

Result<MessageTemplate> MessageTemplate::Parse(std::string_view source, std::string_view origin,
                                               std::string_view field) {
  Lexer lexer(source, origin, field);
  RECO_ASSIGN_OR_RETURN(std::vector<Token> tokens, lexer.Run());
  RECO_ASSIGN_OR_RETURN(std::vector<Node> root, BuildTree(tokens, lexer));
  MessageTemplate t;
  auto alerts = std::find_if(root.begin(), root.end(), [](const Node& n) {
    return n.kind == Kind::kSection && n.text == "alerts";
  });
  t.head_.assign(std::make_move_iterator(root.begin()), std::make_move_iterator(alerts));
  if (alerts != root.end()) {
    t.alert_block_ = std::move(alerts->children);
    t.tail_.assign(std::make_move_iterator(alerts + 1), std::make_move_iterator(root.end()));
  }
  return t;
}

Result<std::shared_ptr<const MessageTemplate>> MessageTemplate::Load(const std::string& path,
                                                                     std::string_view field) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InvalidArgument("template file " + path + " does not exist or is not a file",
                           std::string(field));
  }
  if (std::filesystem::file_size(path, ec) > kMaxTemplateBytes) {
    return InvalidArgument("template file " + path + " is larger than 64 KiB", std::string(field));
  }
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return InvalidArgument("template file " + path + ": " + text.status().message(),
                           std::string(field));
  }
  RECO_ASSIGN_OR_RETURN(MessageTemplate t, Parse(*text, "template file " + path, field));
  return std::make_shared<const MessageTemplate>(std::move(t));
}

MessageTemplate::Parts MessageTemplate::Render(const AlertPayload& payload,
                                               const std::string& time_zone) const {
  Parts parts;
  RenderNodes(head_, payload, nullptr, time_zone, parts.head);
  if (!alert_block_.empty()) {
    for (const Alert& a : payload.alerts) {
      RenderNodes(alert_block_, payload, &a, time_zone, parts.alerts.emplace_back());
    }
  }
  RenderNodes(tail_, payload, nullptr, time_zone, parts.tail);
  return parts;
}

const MessageTemplate& BuiltinTemplate(std::string_view language, bool markdown) {
  static const MessageTemplate kZhMarkdown = ParseBuiltin(kZh, true);
  static const MessageTemplate kZhText = ParseBuiltin(kZh, false);
  static const MessageTemplate kEnMarkdown = ParseBuiltin(kEn, true);
  static const MessageTemplate kEnText = ParseBuiltin(kEn, false);
  if (language == "en") return markdown ? kEnMarkdown : kEnText;
  return markdown ? kZhMarkdown : kZhText;
}

std::string BuiltinTemplateSource(std::string_view language, bool markdown) {
  return BuiltinSource(language == "en" ? kEn : kZh, markdown);
}

}  // namespace reco::gateway
