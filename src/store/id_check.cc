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

}  // namespace reco
