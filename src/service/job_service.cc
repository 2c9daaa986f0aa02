#include "service/job_service.h"

#include <utility>

namespace reco::service {

JobService::JobService(Scheduler& scheduler, Store& store) : scheduler_(scheduler), store_(store) {}

Result<JobList> JobService::List() {
  JobList list;
  RECO_ASSIGN_OR_RETURN(list.jobs, scheduler_.ListJobs());
  // The lease is informative: a store that cannot read it still lists the jobs.
  if (Result<LeaseRecord> lease = store_.GetLease("scheduler"); lease.ok()) {
    list.leader = lease->holder;
    list.lease_expires = lease->expires_at;
  }
  list.holder = scheduler_.holder();
  list.is_leader = scheduler_.is_leader();
  return list;
}

Result<JobRunCreated> JobService::Trigger(std::string_view job) {
  RECO_ASSIGN_OR_RETURN(int64_t id, scheduler_.Trigger(job));
  return JobRunCreated{.run_id = id, .job = std::string(job), .status = std::string(kRunQueued)};
}

Result<std::vector<JobRunRecord>> JobService::ListRuns(const JobRunFilter& filter) {
  return store_.ListJobRuns(filter);
}

Result<JobRunRecord> JobService::GetRun(int64_t id) { return store_.GetJobRun(id); }

}  // namespace reco::service
