#include "serving/user_profiles.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <unordered_set>
#include <vector>

namespace reco {

Result<ProfileRefreshReport> UserProfiles::Refresh() {
  std::lock_guard lock(mu_);
  const auto start = std::chrono::steady_clock::now();
  ProfileRefreshReport report;
  report.from_seq = report.to_seq = seq_;
  constexpr size_t kBatch = 10'000;
  std::vector<Feedback> batch;
  std::unordered_set<std::string> users;
  Status st = store_.ScanFeedback(seq_, [&](const FeedbackRecord& rec) {
    batch.push_back(rec.feedback);
    users.insert(rec.feedback.user_id);
    report.to_seq = std::max(report.to_seq, rec.seq);
    if (batch.size() == kBatch) {
      state_.ApplyFeedback(batch, /*count_live=*/false);
      report.rows += static_cast<int64_t>(batch.size());
      batch.clear();
    }
  });
  if (!batch.empty()) {
    state_.ApplyFeedback(batch, /*count_live=*/false);
    report.rows += static_cast<int64_t>(batch.size());
  }
  // Rows applied before a scan error are kept; the watermark moves only on success, so the
  // next refresh applies them again (harmlessly).
  if (!st.ok()) return st.WithPrefix("refreshing user profiles");
  seq_ = report.to_seq;
  report.users = static_cast<int64_t>(users.size());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info(
      "event=user_profiles_refreshed rows={} users={} from_seq={} to_seq={} seconds={:.3f}",
      report.rows, report.users, report.from_seq, report.to_seq, report.seconds);
  return report;
}

int64_t UserProfiles::seq() const {
  std::lock_guard lock(mu_);
  return seq_;
}

}  // namespace reco
