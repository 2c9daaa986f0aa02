#include "kafka/events.h"

#include "store/id_check.h"

namespace reco::kafka {
namespace {

Status Malformed(std::string_view field, std::string_view problem) {
  return InvalidArgument(std::string(field) + ": " + std::string(problem), std::string(field));
}

}  // namespace

Result<ItemEvent> EventParser::ParseItemEvent(std::string_view payload) {
  padded_.assign(payload);
  padded_.append(simdjson::SIMDJSON_PADDING, ' ');
  simdjson::ondemand::document doc;
  if (envelope_.iterate(padded_.data(), payload.size(), padded_.size()).get(doc) !=
      simdjson::SUCCESS) {
    return Malformed("message", "not JSON");
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    return Malformed("message", "must be a JSON object");
  }
  std::string op;
  std::string item_id;
  std::string item_json;
  bool has_op = false, has_item = false, has_item_id = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS)
      return Malformed("message", "not JSON");
    if (key == "op") {
      std::string_view v;
      if (field.value().get_string().get(v) != simdjson::SUCCESS) {
        return Malformed("op", "must be a string");
      }
      op = v;
      has_op = true;
    } else if (key == "item") {
      std::string_view raw;
      simdjson::ondemand::object item;
      if (field.value().get_object().get(item) != simdjson::SUCCESS ||
          item.raw_json().get(raw) != simdjson::SUCCESS) {
        return Malformed("item", "must be a JSON object");
      }
      item_json = raw;
      has_item = true;
    } else if (key == "item_id") {
      std::string_view v;
      if (field.value().get_string().get(v) != simdjson::SUCCESS) {
        return Malformed("item_id", "must be a string");
      }
      item_id = v;
      has_item_id = true;
    } else {
      // A bare Gorse item: the whole message is the item.
      if (has_op || has_item || has_item_id) return Malformed(key, "unknown field");
      auto item = gorse_.ParseObject<Item>(payload);
      if (!item.ok()) return item.status();
      return ItemEvent(ItemUpsert{std::move(item).value()});
    }
  }
  if (!has_op) return Malformed("op", "required (upsert, create, update or delete)");
  if (op == "upsert" || op == "create" || op == "update") {
    if (!has_item) return Malformed("item", "required for op " + op);
    auto item = gorse_.ParseObject<Item>(item_json);
    if (!item.ok()) {
      const Status& st = item.status();
      return InvalidArgument("item." + st.message(), "item." + st.field());
    }
    return ItemEvent(ItemUpsert{std::move(item).value()});
  }
  if (op == "delete") {
    if (!has_item_id) return Malformed("item_id", "required for op delete");
    RECO_RETURN_IF_ERROR(CheckId(item_id, "item_id"));
    return ItemEvent(ItemDelete{std::move(item_id)});
  }
  return Malformed("op", "must be upsert, create, update or delete, not \"" + op + "\"");
}

Result<Feedback> EventParser::ParseFeedbackEvent(std::string_view payload) {
  return gorse_.ParseObject<Feedback>(payload);
}

}  // namespace reco::kafka
