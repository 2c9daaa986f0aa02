#include "store/id_check.h"

#include <string>

#include "store/types.h"

namespace reco {
namespace {

// "" when ok, else the problem.
std::string IdProblem(std::string_view id) {
  if (id.empty()) return "empty id";
  if (id.size() > kMaxIdBytes) {
    return "id of " + std::to_string(id.size()) + " bytes is longer than the limit of " +
           std::to_string(kMaxIdBytes);
  }
  return {};
}

}  // namespace

Status CheckBatchId(std::string_view id, std::string_view batch, size_t row,
                    std::string_view field) {
  std::string problem = IdProblem(id);
  if (problem.empty()) return Status::Ok();
  std::string where = "[" + std::to_string(row) + "]." + std::string(field);
  return InvalidArgument(std::string(batch) + where + ": " + problem, where);
}

Status CheckId(std::string_view id, std::string_view field) {
  std::string problem = IdProblem(id);
  if (problem.empty()) return Status::Ok();
  return InvalidArgument(std::string(field) + ": " + problem, std::string(field));
}

Status CheckUserIds(std::span<const User> users) {
  for (size_t i = 0; i < users.size(); ++i) {
    RECO_RETURN_IF_ERROR(CheckBatchId(users[i].user_id, "users", i, "UserId"));
  }
  return Status::Ok();
}

Status CheckItemIds(std::span<const Item> items) {
  for (size_t i = 0; i < items.size(); ++i) {
    RECO_RETURN_IF_ERROR(CheckBatchId(items[i].item_id, "items", i, "ItemId"));
  }
  return Status::Ok();
}

Status CheckFeedbackIds(std::span<const Feedback> feedback) {
  for (size_t i = 0; i < feedback.size(); ++i) {
    const Feedback& f = feedback[i];
    RECO_RETURN_IF_ERROR(CheckBatchId(f.feedback_type, "feedback", i, "FeedbackType"));
    RECO_RETURN_IF_ERROR(CheckBatchId(f.user_id, "feedback", i, "UserId"));
    RECO_RETURN_IF_ERROR(CheckBatchId(f.item_id, "feedback", i, "ItemId"));
  }
  return Status::Ok();
}

Status UnknownFeedbackId(size_t row, std::string_view field, std::string_view kind,
                         std::string_view id) {
  std::string where = "[" + std::to_string(row) + "]." + std::string(field);
  return InvalidArgument("feedback" + where + ": unknown " + std::string(kind) + " \"" +
                             std::string(id) + "\" (auto-insert is off)",
                         where);
}

}  // namespace reco
