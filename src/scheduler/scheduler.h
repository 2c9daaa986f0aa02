// Scheduler: named jobs on cron schedules (UTC) with retries, per-attempt timeouts and a run
// history kept in the store, so every process sharing the store sees every run. Among the
// schedulers sharing a store only the holder of the lease `SchedulerOptions::lease_name` starts
// runs (scheduled and manually queued); a leader that stops renewing is replaced once the lease
// expires. Each leadership term takes a fencing token from the store (Store::NextFencingToken)
// and writes every job run under it: a deposed leader's late writes are refused by the store,
// and it steps down. Time comes from an injected Clock; Tick() is one explicit step, Start() a background
// loop that ticks whenever something is due.
//
// Thread-safety: every public method is thread-safe. Bodies run on threads of their own.
// Lifetime: the store and the clock must outlive the Scheduler. Stop() (or the destructor)
// cancels running bodies and waits until they return, then releases the lease.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cache/cache.h"
#include "core/status.h"
#include "core/time.h"
#include "ops/metrics.h"
#include "scheduler/cron.h"
#include "store/store.h"

namespace reco {

// JobRunRecord::status values.
inline constexpr std::string_view kRunQueued = "queued";
inline constexpr std::string_view kRunRunning = "running";
inline constexpr std::string_view kRunSucceeded = "succeeded";
inline constexpr std::string_view kRunFailed = "failed";
inline constexpr std::string_view kRunTimedOut = "timed_out";
// JobRunRecord::trigger values.
inline constexpr std::string_view kTriggerScheduled = "scheduled";
inline constexpr std::string_view kTriggerManual = "manual";

// What a job body sees of its run. cancelled() turns true when the attempt overran its timeout
// (noticed at the scheduler's next tick; the run is then already recorded timed_out) or the
// scheduler is stopping: the body should return soon. A body that ignores it keeps its thread
// until it returns; its late result is only logged, and the same job does not start again
// until then (Stop() waits for it).
class JobContext {
 public:
  JobContext(int64_t run_id, std::string job, int attempt, TimestampUs deadline,
             std::shared_ptr<const std::atomic<bool>> cancelled, int64_t fencing_token = 0)
      : run_id_(run_id),
        job_(std::move(job)),
        attempt_(attempt),
        deadline_(deadline),
        cancelled_(std::move(cancelled)),
        fencing_token_(fencing_token) {}

  int64_t run_id() const { return run_id_; }
  const std::string& job() const { return job_; }
  int attempt() const { return attempt_; }            // 1 for the first attempt
  TimestampUs deadline() const { return deadline_; }  // by the scheduler's clock
  bool cancelled() const { return cancelled_->load(std::memory_order_acquire); }
  // The store fencing token of the leadership term that started the attempt (0 = none): a body
  // that publishes something outside the store checks first that it is still the newest
  // (Store::CurrentFencingToken), so that a deposed leader does not publish.
  int64_t fencing_token() const { return fencing_token_; }

 private:
  int64_t run_id_;
  std::string job_;
  int attempt_;
  TimestampUs deadline_;
  std::shared_ptr<const std::atomic<bool>> cancelled_;
  int64_t fencing_token_;
};

// A job body: ok on success. InvalidArgument, FailedPrecondition and Unimplemented are final
// (a retry cannot fix them); any other error is retried. A thrown exception counts as Internal.
using JobBody = std::function<Status(const JobContext&)>;

// Job name -> body, built by the caller (cli/, api/) so that jobs can be plugged in.
using JobCatalog = std::map<std::string, JobBody, std::less<>>;

struct JobSpec {
  std::string name;  // [a-z0-9_.-]+, not "runs"
  std::string cron;  // 5-field cron in UTC (scheduler/cron.h); "" = run only when triggered
  double timeout_seconds = 3600;  // per attempt
  int max_retries = 3;            // attempts after the first failed one
  double backoff_seconds = 60;    // wait before the 2nd attempt; doubled before each later one
  JobBody body;
};

struct SchedulerOptions {
  std::string lease_name = "scheduler";
  // Identity in the lease and in the runs it executes; "" = "<hostname>:<pid>:<6 hex>".
  std::string holder;
  double lease_seconds = 30;  // lease time-to-live; renewed every lease_seconds / 3
  double poll_seconds = 5;    // the leader looks for runs queued by other processes this often
  bool take_lease = true;     // false: never leads (lists jobs and queues manual runs only)
  // When set, leadership is the lock `lock_name` in this cache (Cache::AcquireLock: SET NX PX,
  // a new fencing token per leader) instead of the store's lease row: the Redis every process
  // of a deployment shares. Must outlive the scheduler.
  Cache* lock_cache = nullptr;
  std::string lock_name;  // the lock's full name in the cache; "" = lease_name
  // Where the scheduler_* metrics go (runs by job and result, last success, consecutive
  // failures, next cron time, leadership); null = none. Must outlive the scheduler.
  MetricsRegistry* metrics = nullptr;
};

// Metric names of the scheduler (docs/metrics.md; deploy/monitoring/alert_rules.yml uses them).
inline constexpr std::string_view kJobRunsMetric = "scheduler_job_runs_total";
inline constexpr std::string_view kJobLastSuccessMetric =
    "scheduler_job_last_success_timestamp_seconds";
inline constexpr std::string_view kJobConsecutiveFailuresMetric =
    "scheduler_job_consecutive_failures";
inline constexpr std::string_view kJobNextRunMetric = "scheduler_job_next_run_timestamp_seconds";
inline constexpr std::string_view kSchedulerLeaderMetric = "scheduler_is_leader";

struct JobInfo {
  std::string name;
  std::string cron;
  double timeout_seconds = 0;
  int max_retries = 0;
  std::optional<TimestampUs> next_run;   // next cron time; nullopt for manual-only jobs
  std::optional<JobRunRecord> last_run;  // newest run of the job in the store
};

class Scheduler {
 public:
  // InvalidArgument naming the job for a bad name, a duplicate, a bad cron expression, a
  // missing body or a non-positive timeout / negative retries or back-off.
  static Result<std::unique_ptr<Scheduler>> Create(std::vector<JobSpec> jobs, Store& store,
                                                   const Clock& clock,
                                                   SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // One step at clock.NowMicros(): takes or renews the lease when due; marks attempts past
  // their deadline timed_out and cancels them; starts retries whose back-off has passed; and,
  // as leader, claims queued runs and starts the runs of due cron times (at most one run per
  // job at a time; missed cron times coalesce into one run). Bodies start on threads of their
  // own; Tick() does not wait for them. Errors are the store's.
  Status Tick();
  // Blocks until no body is executing.
  void WaitIdle();
  // Starts the background loop (Tick whenever something is due, at least every poll_seconds).
  void Start();
  // Stops the loop, cancels running bodies and waits for them, fails runs waiting for a retry,
  // releases the lease. Idempotent.
  void Stop();

  // Queues a manual run of `job` in the store and returns its id; the leader (this scheduler
  // or another process's) starts it at its next tick. NotFound for an unknown job.
  Result<int64_t> Trigger(std::string_view job);
  Result<std::vector<JobInfo>> ListJobs();
  Result<JobRunRecord> GetRun(int64_t id);  // NotFound

  bool is_leader() const;
  // The fencing token of the cache lock while leading with SchedulerOptions::lock_cache (it
  // grows with every new leader, so a write tagged with it can be refused when a newer leader
  // exists); nullopt otherwise.
  std::optional<FencingToken> fencing_token() const;
  // The store fencing token of this leadership term (Store::NextFencingToken, taken each time
  // this scheduler becomes leader; every job-run write of the term carries it); nullopt when
  // not leading.
  std::optional<int64_t> term_token() const;
  const std::string& holder() const { return options_.holder; }

 private:
  // The series of one job (all null without SchedulerOptions::metrics).
  struct JobMetrics {
    Counter* succeeded = nullptr;
    Counter* failed = nullptr;
    Counter* timed_out = nullptr;
    Gauge* last_success = nullptr;
    Gauge* consecutive_failures = nullptr;
    Gauge* next_run = nullptr;  // null for manual-only jobs
  };
  struct Job {
    JobSpec spec;
    std::optional<CronSchedule> cron;
    std::optional<TimestampUs> next_due;
    JobMetrics metrics;
  };
  struct ActiveRun;

  Scheduler(Store& store, const Clock& clock, SchedulerOptions options);

  Status TickLocked(TimestampUs now);
  void RenewLeaseLocked(TimestampUs now);
  // Takes or renews leadership: the store's lease, or the cache's lock.
  Result<bool> AcquireLeadershipLocked(TimestampUs now, int64_t ttl_us);
  Status ReleaseLeadershipLocked();
  // A job-run write was refused for a stale fencing token: a newer leader exists. Stops leading,
  // releases the lock and cancels this process's runs.
  void StepDownLocked(const Status& refused);
  // Runs marked "running" by a holder that is no longer leader are failed (abandoned).
  void FailAbandonedRunsLocked(TimestampUs now);
  void CheckTimeoutsLocked(TimestampUs now);
  void StartDueRetriesLocked(TimestampUs now);
  Status ClaimQueuedRunsLocked(TimestampUs now);
  Status StartDueScheduledRunsLocked(TimestampUs now);
  void StartAttemptLocked(ActiveRun& run, TimestampUs now);
  void OnAttemptDone(int64_t run_id, Status status);
  bool BusyLocked(const Job& job) const;
  Job* FindJob(std::string_view name);
  // The wake-up time of the background loop.
  TimestampUs NextWakeLocked(TimestampUs now) const;
  void Loop();
  // Writes the run under this term's fencing token (steps down when refused as stale).
  void WriteRunLocked(JobRunRecord& record);
  void RegisterMetrics();
  // Counts a run that ended (status succeeded, failed or timed_out) in the job's metrics.
  void RecordRunEnd(const Job& job, std::string_view status, TimestampUs now);
  void SetLeaderLocked(bool leader);

  Store& store_;
  const Clock& clock_;
  SchedulerOptions options_;
  std::vector<std::unique_ptr<Job>> jobs_;
  Gauge* leader_gauge_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable wake_cv_;                       // the loop: something changed or Stop()
  std::condition_variable idle_cv_;                       // a body returned
  std::map<int64_t, std::unique_ptr<ActiveRun>> active_;  // by run id
  int executing_ = 0;                                     // bodies running now
  bool leader_ = false;
  FencingToken fencing_token_ = 0;  // 0 = not leading through the cache lock
  int64_t term_token_ = 0;          // the store fencing token of the current (or last) term
  TimestampUs lease_expires_ = 0;
  TimestampUs next_lease_check_ = 0;
  TimestampUs next_poll_ = 0;
  bool wakeup_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread loop_;
};

}  // namespace reco
