#include "scheduler/scheduler.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <random>

namespace reco {
namespace {

constexpr int kMaxQueuedPerTick = 64;

// Clamped to 100 years: a doubling back-off must never overflow the microseconds.
int64_t SecondsToMicros(double seconds) {
  constexpr double kMaxSeconds = 100 * 366 * 86400.0;
  seconds = std::isnan(seconds) ? 0 : std::clamp(seconds, -kMaxSeconds, kMaxSeconds);
  return static_cast<int64_t>(std::llround(seconds * static_cast<double>(kMicrosPerSecond)));
}

std::string DefaultHolder() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "host");
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof(suffix), "%06x", rd() & 0xffffffu);
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + suffix;
}

bool ValidJobName(std::string_view name) {
  if (name.empty() || name == "runs") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

bool Retryable(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kUnimplemented:
      return false;
    default:
      return true;
  }
}

Status ValidateSpec(const JobSpec& spec) {
  const std::string where = "job \"" + spec.name + "\": ";
  if (!ValidJobName(spec.name)) {
    return InvalidArgument("job name \"" + spec.name +
                               "\" must be non-empty lower-case letters, digits, '_', '-' or '.'"
                               " (and not \"runs\")",
                           "name");
  }
  if (!spec.body) return InvalidArgument(where + "has no body", "body");
  if (!(spec.timeout_seconds > 0)) {
    return InvalidArgument(where + "timeout_seconds must be > 0", "timeout_seconds");
  }
  if (spec.max_retries < 0) return InvalidArgument(where + "max_retries must be >= 0");
  if (!(spec.backoff_seconds >= 0)) return InvalidArgument(where + "backoff_seconds must be >= 0");
  return Status::Ok();
}

}  // namespace

struct Scheduler::ActiveRun {
  JobRunRecord record;
  Job* job = nullptr;
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  bool executing = false;
  bool timed_out = false;    // the current attempt overran; its result is ignored
  TimestampUs retry_at = 0;  // when not executing: the next attempt's time
  TimestampUs deadline = 0;  // of the executing attempt
};

Scheduler::Scheduler(Store& store, const Clock& clock, SchedulerOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<Scheduler>> Scheduler::Create(std::vector<JobSpec> jobs, Store& store,
                                                     const Clock& clock, SchedulerOptions options) {
  if (!(options.lease_seconds > 0)) {
    return InvalidArgument("scheduler lease_seconds must be > 0", "lease_seconds");
  }
  if (!(options.poll_seconds > 0)) {
    return InvalidArgument("scheduler poll_seconds must be > 0", "poll_seconds");
  }
  if (options.holder.empty()) options.holder = DefaultHolder();
  std::unique_ptr<Scheduler> s(new Scheduler(store, clock, std::move(options)));
  const TimestampUs now = clock.NowMicros();
  for (JobSpec& spec : jobs) {
    RECO_RETURN_IF_ERROR(ValidateSpec(spec));
    if (s->FindJob(spec.name) != nullptr) {
      return InvalidArgument("job \"" + spec.name + "\" is defined twice", "name");
    }
    auto job = std::make_unique<Job>();
    if (!spec.cron.empty()) {
      Result<CronSchedule> cron = CronSchedule::Parse(spec.cron);
      if (!cron.ok()) return cron.status().WithPrefix("job \"" + spec.name + "\"");
      job->next_due = cron->NextAfter(now);
      job->cron = std::move(cron).value();
    }
    job->spec = std::move(spec);
    s->jobs_.push_back(std::move(job));
  }
  s->RegisterMetrics();
  return s;
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::RegisterMetrics() {
  MetricsRegistry* m = options_.metrics;
  if (m == nullptr) return;
  CounterFamily* runs =
      m->AddCounter(kJobRunsMetric, "Scheduled and manual job runs that ended, by job and result.",
                    {"job_name", "result"});
  GaugeFamily* last_success = m->AddGauge(
      kJobLastSuccessMetric, "Unix time at which a run of the job last succeeded.", {"job_name"});
  GaugeFamily* consecutive =
      m->AddGauge(kJobConsecutiveFailuresMetric,
                  "Runs of the job that failed or timed out since its last success (this process).",
                  {"job_name"});
  GaugeFamily* next_run =
      m->AddGauge(kJobNextRunMetric,
                  "Unix time of the job's next cron time; in the past when the leader did not "
                  "start a due run.",
                  {"job_name"});
  // Every series exists from the start, so rate() and absent-run alerts see zeros.
  for (auto& job : jobs_) {
    const std::string& name = job->spec.name;
    job->metrics.succeeded = runs->WithLabels({name, std::string(kRunSucceeded)});
    job->metrics.failed = runs->WithLabels({name, std::string(kRunFailed)});
    job->metrics.timed_out = runs->WithLabels({name, std::string(kRunTimedOut)});
    job->metrics.last_success = last_success->WithLabels({name});
    job->metrics.consecutive_failures = consecutive->WithLabels({name});
    if (job->cron) {
      job->metrics.next_run = next_run->WithLabels({name});
      if (job->next_due) {
        job->metrics.next_run->Set(static_cast<double>(*job->next_due) / kMicrosPerSecond);
      }
    }
  }
  leader_gauge_ = m->GetGauge(kSchedulerLeaderMetric,
                              "1 when this process's scheduler holds the leader lease, else 0.");
  leader_gauge_->Set(0);
}

void Scheduler::RecordRunEnd(const Job& job, std::string_view status, TimestampUs now) {
  const JobMetrics& m = job.metrics;
  if (m.succeeded == nullptr) return;
  if (status == kRunSucceeded) {
    m.succeeded->Inc();
    m.last_success->Set(static_cast<double>(now) / kMicrosPerSecond);
    m.consecutive_failures->Set(0);
    return;
  }
  (status == kRunTimedOut ? m.timed_out : m.failed)->Inc();
  m.consecutive_failures->Add(1);
}

void Scheduler::SetLeaderLocked(bool leader) {
  leader_ = leader;
  if (leader_gauge_ != nullptr) leader_gauge_->Set(leader ? 1 : 0);
}

Scheduler::Job* Scheduler::FindJob(std::string_view name) {
  for (auto& job : jobs_) {
    if (job->spec.name == name) return job.get();
  }
  return nullptr;
}

bool Scheduler::is_leader() const {
  std::lock_guard lock(mu_);
  return leader_;
}

Status Scheduler::Tick() {
  std::lock_guard lock(mu_);
  return TickLocked(clock_.NowMicros());
}

Status Scheduler::TickLocked(TimestampUs now) {
  if (stopped_) return FailedPrecondition("scheduler is stopped");
  RenewLeaseLocked(now);
  CheckTimeoutsLocked(now);
  StartDueRetriesLocked(now);
  if (!leader_) return Status::Ok();
  if (now >= next_poll_) {
    next_poll_ = now + SecondsToMicros(options_.poll_seconds);
    RECO_RETURN_IF_ERROR(ClaimQueuedRunsLocked(now));
  }
  return StartDueScheduledRunsLocked(now);
}

void Scheduler::RenewLeaseLocked(TimestampUs now) {
  if (!options_.take_lease) return;
  if (leader_ && now >= lease_expires_) {
    SetLeaderLocked(false);  // not renewed in time: someone else may hold it by now
    spdlog::warn("event=scheduler_lease_lost holder={} reason=expired", options_.holder);
  }
  if (now < next_lease_check_) return;
  const int64_t ttl = SecondsToMicros(options_.lease_seconds);
  next_lease_check_ = now + std::max<int64_t>(ttl / 3, 1);
  Result<bool> held = AcquireLeadershipLocked(now, ttl);
  const bool was_leader = leader_;
  SetLeaderLocked(held.ok() && *held);
  if (!held.ok()) {
    spdlog::warn("event=scheduler_lease_error holder={} error=\"{}\"", options_.holder,
                 held.status().ToString());
  }
  if (leader_) lease_expires_ = now + ttl;
  // A standby checks twice as often as the leader renews: a dead leader is replaced within the
  // lease plus a sixth of it, not a third.
  if (!leader_) next_lease_check_ = now + std::max<int64_t>(ttl / 6, 1);
  if (leader_ && !was_leader) {
    // A new term: its token fences the previous leader's job-run writes out of the store.
    Result<int64_t> term = store_.NextFencingToken();
    if (!term.ok()) {
      spdlog::warn("event=scheduler_fencing_token_error holder={} error=\"{}\"", options_.holder,
                   term.status().ToString());
      SetLeaderLocked(false);  // cannot fence: no writes, try again at the next check
      return;
    }
    term_token_ = *term;
    spdlog::info(
        "event=scheduler_leader holder={} lease_seconds={} lock={} fencing_token={} "
        "store_fencing_token={}",
        options_.holder, options_.lease_seconds,
        options_.lock_cache != nullptr ? "cache" : "store", fencing_token_, term_token_);
    next_poll_ = now;
    FailAbandonedRunsLocked(now);
  } else if (!leader_ && was_leader) {
    spdlog::warn("event=scheduler_lease_lost holder={}", options_.holder);
  }
}

Result<bool> Scheduler::AcquireLeadershipLocked(TimestampUs now, int64_t ttl_us) {
  if (options_.lock_cache == nullptr) {
    return store_.TryAcquireLease(options_.lease_name, options_.holder, now, ttl_us);
  }
  fencing_token_ = 0;
  const std::string& name = options_.lock_name.empty() ? options_.lease_name : options_.lock_name;
  RECO_ASSIGN_OR_RETURN(
      std::optional<FencingToken> token,
      options_.lock_cache->AcquireLock(name, options_.holder, std::max<int64_t>(ttl_us / 1000, 1)));
  if (!token) return false;
  fencing_token_ = *token;
  return true;
}

Status Scheduler::ReleaseLeadershipLocked() {
  if (options_.lock_cache == nullptr) {
    return store_.ReleaseLease(options_.lease_name, options_.holder);
  }
  fencing_token_ = 0;
  return options_.lock_cache->ReleaseLock(
      options_.lock_name.empty() ? options_.lease_name : options_.lock_name, options_.holder);
}

std::optional<int64_t> Scheduler::term_token() const {
  std::lock_guard lock(mu_);
  if (!leader_) return std::nullopt;
  return term_token_;
}

void Scheduler::StepDownLocked(const Status& refused) {
  if (!leader_) return;
  spdlog::warn("event=scheduler_fenced_out holder={} store_fencing_token={} error=\"{}\"",
               options_.holder, term_token_, refused.ToString());
  SetLeaderLocked(false);
  for (auto& [id, run] : active_) run->cancelled->store(true, std::memory_order_release);
  if (Status st = ReleaseLeadershipLocked(); !st.ok()) {
    spdlog::warn("event=scheduler_release_failed error=\"{}\"", st.ToString());
  }
}

std::optional<FencingToken> Scheduler::fencing_token() const {
  std::lock_guard lock(mu_);
  if (!leader_ || fencing_token_ == 0) return std::nullopt;
  return fencing_token_;
}

void Scheduler::FailAbandonedRunsLocked(TimestampUs now) {
  JobRunFilter filter;
  filter.status = std::string(kRunRunning);
  Result<std::vector<JobRunRecord>> running = store_.ListJobRuns(filter);
  if (!running.ok()) return;
  for (JobRunRecord& run : *running) {
    if (active_.count(run.id) != 0) continue;
    spdlog::warn("event=job_run_abandoned id={} job={} holder={}", run.id, run.job, run.holder);
    run.status = std::string(kRunFailed);
    run.finished = now;
    run.error = "abandoned: scheduler " + run.holder + " stopped leading before the run finished";
    WriteRunLocked(run);
    if (const Job* job = FindJob(run.job); job != nullptr) RecordRunEnd(*job, kRunFailed, now);
  }
}

void Scheduler::CheckTimeoutsLocked(TimestampUs now) {
  for (auto& [id, run] : active_) {
    if (!run->executing || run->timed_out || now < run->deadline) continue;
    run->timed_out = true;
    run->cancelled->store(true, std::memory_order_release);
    run->record.status = std::string(kRunTimedOut);
    run->record.finished = now;
    run->record.error = fmt::format("timed out after {:g} s (attempt {})",
                                    run->job->spec.timeout_seconds, run->record.attempts);
    spdlog::warn("event=job_timed_out id={} job={} attempt={}", id, run->record.job,
                 run->record.attempts);
    WriteRunLocked(run->record);
    RecordRunEnd(*run->job, kRunTimedOut, now);
  }
}

void Scheduler::StartDueRetriesLocked(TimestampUs now) {
  for (auto it = active_.begin(); it != active_.end();) {
    ActiveRun& run = *it->second;
    if (run.executing || stopping_ || now < run.retry_at) {
      ++it;
    } else if (leader_) {
      StartAttemptLocked(run, now);
      ++it;
    } else {
      // The new leader treats the run as abandoned; this process must not run it again.
      run.record.status = std::string(kRunFailed);
      run.record.finished = now;
      run.record.error += "; scheduler lost the leader lease before the next attempt";
      WriteRunLocked(run.record);
      RecordRunEnd(*run.job, kRunFailed, now);
      it = active_.erase(it);
    }
  }
}

Status Scheduler::ClaimQueuedRunsLocked(TimestampUs now) {
  JobRunFilter filter;
  filter.status = std::string(kRunQueued);
  filter.limit = kMaxQueuedPerTick;
  RECO_ASSIGN_OR_RETURN(std::vector<JobRunRecord> queued, store_.ListJobRuns(filter));
  std::reverse(queued.begin(), queued.end());  // oldest first
  for (JobRunRecord& record : queued) {
    Job* job = FindJob(record.job);
    if (job == nullptr || BusyLocked(*job)) continue;  // another catalogue, or runs after
    Result<bool> claimed = store_.ClaimJobRun(record.id, options_.holder, now, term_token_);
    if (!claimed.ok() && IsStaleFencingToken(claimed.status())) {
      StepDownLocked(claimed.status());
      return Status::Ok();
    }
    RECO_RETURN_IF_ERROR(claimed.status());
    if (!*claimed) continue;
    auto run = std::make_unique<ActiveRun>();
    run->job = job;
    run->record = std::move(record);
    run->record.holder = options_.holder;
    ActiveRun& ref = *run;
    active_[ref.record.id] = std::move(run);
    StartAttemptLocked(ref, now);
  }
  return Status::Ok();
}

Status Scheduler::StartDueScheduledRunsLocked(TimestampUs now) {
  for (auto& job : jobs_) {
    if (!job->next_due || now < *job->next_due) continue;
    // The newest cron time not after now: missed times coalesce into one run.
    TimestampUs slot = *job->next_due;
    for (int i = 0; i < 100000; ++i) {
      std::optional<TimestampUs> next = job->cron->NextAfter(slot);
      if (!next || *next > now) break;
      slot = *next;
    }
    job->next_due = job->cron->NextAfter(now);
    if (job->metrics.next_run != nullptr && job->next_due) {
      job->metrics.next_run->Set(static_cast<double>(*job->next_due) / kMicrosPerSecond);
    }
    JobRunFilter filter;
    filter.job = job->spec.name;
    filter.trigger = std::string(kTriggerScheduled);
    filter.limit = 1;
    RECO_ASSIGN_OR_RETURN(std::vector<JobRunRecord> last, store_.ListJobRuns(filter));
    if (!last.empty() && last[0].scheduled_for >= slot) continue;  // a previous leader ran it
    if (BusyLocked(*job)) {
      spdlog::warn("event=job_skipped job={} reason=\"previous run still active\"", job->spec.name);
      continue;
    }
    auto run = std::make_unique<ActiveRun>();
    run->job = job.get();
    run->record.job = job->spec.name;
    run->record.trigger = std::string(kTriggerScheduled);
    run->record.status = std::string(kRunRunning);
    run->record.scheduled_for = slot;
    run->record.created = now;
    run->record.started = now;
    run->record.holder = options_.holder;
    run->record.fencing_token = term_token_;
    Result<int64_t> id = store_.InsertJobRun(run->record);
    if (!id.ok() && IsStaleFencingToken(id.status())) {
      StepDownLocked(id.status());
      return Status::Ok();
    }
    RECO_ASSIGN_OR_RETURN(run->record.id, std::move(id));
    ActiveRun& ref = *run;
    active_[ref.record.id] = std::move(run);
    StartAttemptLocked(ref, now);
  }
  return Status::Ok();
}

bool Scheduler::BusyLocked(const Job& job) const {
  for (const auto& [id, run] : active_) {
    if (run->job == &job) return true;
  }
  return false;
}

void Scheduler::StartAttemptLocked(ActiveRun& run, TimestampUs now) {
  run.record.attempts += 1;
  run.record.status = std::string(kRunRunning);
  if (run.record.started == 0) run.record.started = now;
  run.executing = true;
  run.deadline = now + SecondsToMicros(run.job->spec.timeout_seconds);
  WriteRunLocked(run.record);
  ++executing_;
  spdlog::info("event=job_started id={} job={} trigger={} attempt={}", run.record.id,
               run.record.job, run.record.trigger, run.record.attempts);
  JobContext context(run.record.id, run.record.job, run.record.attempts, run.deadline,
                     run.cancelled, term_token_);
  const JobBody* body = &run.job->spec.body;
  const int64_t id = run.record.id;
  std::thread([this, body, id, context = std::move(context)] {
    Status st;
    try {
      st = (*body)(context);
    } catch (const std::exception& e) {
      st = Internal(std::string("job threw an exception: ") + e.what());
    } catch (...) {
      st = Internal("job threw an exception");
    }
    OnAttemptDone(id, std::move(st));
  }).detach();
}

void Scheduler::OnAttemptDone(int64_t run_id, Status status) {
  std::lock_guard lock(mu_);
  // Notified under the lock: once a waiter sees executing_ drop, this thread touches nothing.
  wakeup_ = true;
  wake_cv_.notify_all();
  idle_cv_.notify_all();
  --executing_;
  next_poll_ = 0;  // a queued run of this job may start now
  auto it = active_.find(run_id);
  if (it == active_.end()) return;
  ActiveRun& run = *it->second;
  run.executing = false;
  const TimestampUs now = clock_.NowMicros();
  if (run.timed_out) {
    spdlog::warn("event=job_returned_after_timeout id={} job={} status=\"{}\"", run_id,
                 run.record.job, status.ToString());
    active_.erase(it);
    return;
  }
  const JobSpec& spec = run.job->spec;
  if (status.ok()) {
    run.record.status = std::string(kRunSucceeded);
    run.record.error.clear();
  } else {
    run.record.error = status.ToString();
    const bool retry = Retryable(status) && !stopping_ && run.record.attempts <= spec.max_retries;
    if (retry) {
      const int exponent = std::min(run.record.attempts - 1, 30);
      run.retry_at = now + SecondsToMicros(spec.backoff_seconds * std::ldexp(1.0, exponent));
      spdlog::warn(
          "event=job_attempt_failed id={} job={} attempt={} retry_in_s={:.1f} error=\"{}\"", run_id,
          spec.name, run.record.attempts,
          static_cast<double>(run.retry_at - now) / kMicrosPerSecond, run.record.error);
      WriteRunLocked(run.record);
      return;
    }
    run.record.status = std::string(kRunFailed);
  }
  run.record.finished = now;
  RecordRunEnd(*run.job, run.record.status, now);
  spdlog::log(status.ok() ? spdlog::level::info : spdlog::level::warn,
              "event=job_finished id={} job={} status={} attempts={} error=\"{}\"", run_id,
              spec.name, run.record.status, run.record.attempts, run.record.error);
  WriteRunLocked(run.record);
  active_.erase(it);
}

void Scheduler::WriteRunLocked(JobRunRecord& record) {
  if (options_.take_lease) record.fencing_token = term_token_;
  Status st = store_.UpdateJobRun(record);
  if (IsStaleFencingToken(st)) {
    spdlog::warn("event=job_run_write_fenced id={} job={} status={}", record.id, record.job,
                 record.status);
    StepDownLocked(st);
  } else if (!st.ok()) {
    spdlog::error("event=job_run_write_failed id={} job={} error=\"{}\"", record.id, record.job,
                  st.ToString());
  }
}

void Scheduler::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return executing_ == 0; });
}

Result<int64_t> Scheduler::Trigger(std::string_view name) {
  if (FindJob(name) == nullptr) {
    return NotFound("no job named \"" + std::string(name) + "\"");
  }
  JobRunRecord record;
  record.job = std::string(name);
  record.trigger = std::string(kTriggerManual);
  record.status = std::string(kRunQueued);
  record.created = clock_.NowMicros();
  RECO_ASSIGN_OR_RETURN(int64_t id, store_.InsertJobRun(record));
  spdlog::info("event=job_queued id={} job={} trigger=manual", id, name);
  std::lock_guard lock(mu_);
  next_poll_ = 0;  // look at the queue at the next tick
  wakeup_ = true;
  wake_cv_.notify_all();
  return id;
}

Result<std::vector<JobInfo>> Scheduler::ListJobs() {
  const TimestampUs now = clock_.NowMicros();
  std::vector<JobInfo> out;
  for (const auto& job : jobs_) {
    JobInfo info;
    info.name = job->spec.name;
    info.cron = job->spec.cron;
    info.timeout_seconds = job->spec.timeout_seconds;
    info.max_retries = job->spec.max_retries;
    if (job->cron) info.next_run = job->cron->NextAfter(now);
    JobRunFilter filter;
    filter.job = job->spec.name;
    filter.limit = 1;
    RECO_ASSIGN_OR_RETURN(std::vector<JobRunRecord> last, store_.ListJobRuns(filter));
    if (!last.empty()) info.last_run = std::move(last[0]);
    out.push_back(std::move(info));
  }
  return out;
}

Result<JobRunRecord> Scheduler::GetRun(int64_t id) { return store_.GetJobRun(id); }

TimestampUs Scheduler::NextWakeLocked(TimestampUs now) const {
  TimestampUs wake = now + SecondsToMicros(options_.poll_seconds);
  if (options_.take_lease) wake = std::min(wake, next_lease_check_);
  if (leader_) {
    wake = std::min(wake, next_poll_);
    for (const auto& job : jobs_) {
      if (job->next_due) wake = std::min(wake, *job->next_due);
    }
  }
  for (const auto& [id, run] : active_) {
    wake = std::min(wake, run->executing ? run->deadline : run->retry_at);
  }
  return wake;
}

void Scheduler::Start() {
  std::lock_guard lock(mu_);
  if (loop_.joinable() || stopped_) return;
  loop_ = std::thread([this] { Loop(); });
}

void Scheduler::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const TimestampUs now = clock_.NowMicros();
    if (Status st = TickLocked(now); !st.ok()) {
      spdlog::warn("event=scheduler_tick_failed error=\"{}\"", st.ToString());
    }
    const int64_t delay =
        std::clamp<int64_t>(NextWakeLocked(now) - clock_.NowMicros(), 0, 60 * kMicrosPerSecond);
    wake_cv_.wait_for(lock, std::chrono::microseconds(delay), [&] { return wakeup_ || stopping_; });
    wakeup_ = false;
  }
}

void Scheduler::Stop() {
  std::unique_lock lock(mu_);
  if (stopped_) return;
  stopping_ = true;
  wake_cv_.notify_all();
  if (loop_.joinable()) {
    lock.unlock();
    loop_.join();
    lock.lock();
  }
  for (auto& [id, run] : active_) run->cancelled->store(true, std::memory_order_release);
  while (!idle_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return executing_ == 0; })) {
    spdlog::warn("event=scheduler_stop_waiting running={}", executing_);
  }
  const TimestampUs now = clock_.NowMicros();
  for (auto& [id, run] : active_) {  // waiting for a retry
    run->record.status = std::string(kRunFailed);
    run->record.finished = now;
    run->record.error += (run->record.error.empty() ? "" : "; ") +
                         std::string("scheduler stopped before the next attempt");
    WriteRunLocked(run->record);
    RecordRunEnd(*run->job, kRunFailed, now);
  }
  active_.clear();
  if (leader_) {
    Status st = ReleaseLeadershipLocked();
    if (!st.ok()) spdlog::warn("event=scheduler_release_failed error=\"{}\"", st.ToString());
    SetLeaderLocked(false);
  }
  stopped_ = true;
}

}  // namespace reco
