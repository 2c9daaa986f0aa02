// The JSON messages reco consumes from Kafka (docs/kafka.md):
//
//   item events (item-events-{tenant}), key = the item id so that one item's events stay in order:
//     {"op":"upsert","item":{"ItemId":"i1","Categories":["books"],"Timestamp":"…",…}}
//     {"op":"delete","item_id":"i1"}
//   "create" and "update" are accepted as "upsert"; a bare Gorse item object is an upsert.
//   behaviour events (behavior-events-{tenant}): one Gorse feedback object,
//     {"FeedbackType":"click","UserId":"u1","ItemId":"i1","Timestamp":"…"}
//
// Errors are InvalidArgument naming the field ("op", "item.ItemId", "item_id", "UserId", ...).
//
// Thread-safety: an EventParser is not thread-safe (it reuses buffers); use one per thread.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "core/status.h"
#include "ingest/gorse_json.h"
#include "store/types.h"

namespace reco::kafka {

struct ItemUpsert {
  Item item;
};
struct ItemDelete {
  std::string item_id;
};
using ItemEvent = std::variant<ItemUpsert, ItemDelete>;

class EventParser {
 public:
  explicit EventParser(ingest::ParseOptions options = {}) : gorse_(options) {}
  void set_options(const ingest::ParseOptions& options) { gorse_.set_options(options); }

  Result<ItemEvent> ParseItemEvent(std::string_view payload);
  Result<Feedback> ParseFeedbackEvent(std::string_view payload);

 private:
  ingest::GorseJsonParser gorse_;
  simdjson::ondemand::parser envelope_;
  std::string padded_;
};

}  // namespace reco::kafka
