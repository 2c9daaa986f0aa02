#include "service/feedback_service.h"

#include <array>
#include <utility>

namespace reco::service {

FeedbackService::FeedbackService(Store& store, OnlineState& state, Rollout* rollout,
                                 MetricsRegistry& metrics, FeedbackServiceOptions options)
    : store_(store),
      state_(state),
      rollout_(rollout),
      options_(options),
      ingested_(metrics.AddCounter("feedback_ingested_total",
                                   "Feedback rows written through the API, by kind.", {"kind"})) {}

Result<RowsAffected> FeedbackService::Write(const WriteFeedbackRequest& request) {
  InsertFeedbackOptions insert;
  insert.overwrite = request.overwrite;
  insert.auto_insert_users = options_.auto_insert_users;
  insert.auto_insert_items = options_.auto_insert_items;
  if (options_.limits) {
    const CatalogueLimits limits = options_.limits();
    if (limits.max_users > 0 || limits.max_items > 0) {
      RECO_ASSIGN_OR_RETURN(StoreCounts counts, store_.Counts());
      if (limits.max_users > 0 && counts.users >= limits.max_users) {
        insert.auto_insert_users = false;
      }
      if (limits.max_items > 0 && counts.items >= limits.max_items) {
        insert.auto_insert_items = false;
      }
    }
  }
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.InsertFeedback(request.rows, insert));
  state_.ApplyFeedback(request.rows);
  if (rollout_ != nullptr) rollout_->OnFeedback(request.rows);
  if (options_.realtime != nullptr) options_.realtime->OnFeedback(request.rows);
  CountIngested(request.rows);
  if (options_.after_write) options_.after_write(request.rows);
  return RowsAffected{n};
}

void FeedbackService::CountIngested(std::span<const Feedback> rows) {
  static const char* kKindNames[] = {"other", "positive", "read", "negative"};
  std::array<int64_t, 4> by_kind{};
  for (const Feedback& f : rows) ++by_kind[static_cast<size_t>(state_.KindOf(f.feedback_type))];
  for (size_t k = 0; k < by_kind.size(); ++k) {
    // Series appear with their first row, as before the service existed.
    if (by_kind[k] > 0)
      ingested_->WithLabels({kKindNames[k]})->Add(static_cast<double>(by_kind[k]));
  }
}

Result<RowsAffected> FeedbackService::Delete(const FeedbackKey& key) {
  FeedbackFilter filter;
  filter.feedback_type = key.feedback_type;
  filter.user_id = key.user_id;
  filter.item_id = key.item_id;
  RECO_ASSIGN_OR_RETURN(int64_t n, store_.DeleteFeedback(filter));
  // The delete is done; a failed re-read leaves the online history as it was until the next
  // profile refresh, as the routes always did.
  (void)ReloadUser(key.user_id);
  if (options_.after_delete) options_.after_delete(key.user_id);
  return RowsAffected{n};
}

Status FeedbackService::ReloadUser(std::string_view user_id) {
  FeedbackFilter remaining;
  remaining.user_id = std::string(user_id);
  RECO_ASSIGN_OR_RETURN(std::vector<Feedback> rows, Find(remaining));
  state_.ResetUserFeedback(user_id, std::move(rows));
  return Status::Ok();
}

Result<Page<Feedback>> FeedbackService::List(const ListFeedbackRequest& request) {
  FeedbackFilter filter;
  filter.feedback_type = request.feedback_type;
  return store_.ListFeedback(filter, request.cursor, request.n);
}

Result<std::vector<Feedback>> FeedbackService::Find(const FeedbackFilter& filter) {
  std::vector<Feedback> out;
  std::string cursor;
  do {
    RECO_ASSIGN_OR_RETURN(Page<Feedback> page, store_.ListFeedback(filter, cursor, 1000));
    for (auto& f : page.rows) out.push_back(std::move(f));
    cursor = std::move(page.next_cursor);
  } while (!cursor.empty() && out.size() < kMaxFeedbackFound);
  return out;
}

Result<Feedback> FeedbackService::Get(const FeedbackKey& key) {
  FeedbackFilter filter;
  filter.feedback_type = key.feedback_type;
  filter.user_id = key.user_id;
  filter.item_id = key.item_id;
  RECO_ASSIGN_OR_RETURN(std::vector<Feedback> rows, Find(filter));
  if (rows.empty()) return NotFound("feedback not found");
  return std::move(rows.front());
}

}  // namespace reco::service
