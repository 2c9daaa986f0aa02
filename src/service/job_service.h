// JobService: the scheduled jobs for every transport — the jobs with their next and last runs
// and the lease holder, manual runs (queued for the scheduler leader) and the run records.
// Runs live in the store, so runs executed by a separate `reco worker` are listed too.
//
// Thread-safety: safe from any number of request threads (the scheduler and store are).
// Lifetime: borrows the Scheduler and Store, which must outlive it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "scheduler/scheduler.h"
#include "store/store.h"

namespace reco::service {

struct JobList {
  std::vector<JobInfo> jobs;
  std::string leader;             // holder of the scheduler lease; "" when none could be read
  TimestampUs lease_expires = 0;  // 0 when unknown
  std::string holder;             // this process's scheduler
  bool is_leader = false;
};

struct JobRunCreated {
  int64_t run_id = 0;
  std::string job;
  std::string status;  // kRunQueued
};

class JobService {
 public:
  JobService(Scheduler& scheduler, Store& store);

  Result<JobList> List();
  // Queues a manual run; NotFound for an unknown job.
  Result<JobRunCreated> Trigger(std::string_view job);
  // Newest first.
  Result<std::vector<JobRunRecord>> ListRuns(const JobRunFilter& filter);
  Result<JobRunRecord> GetRun(int64_t id);  // NotFound

 private:
  Scheduler& scheduler_;
  Store& store_;
};

}  // namespace reco::service
