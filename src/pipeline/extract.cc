#include "pipeline/extract.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <span>

#include "core/file_util.h"
#include "core/json_writer.h"
#include "core/progress.h"
#include "ingest/time_limits.h"
#include "pipeline/extract_sources.h"
#include "pipeline/extract_state.h"
#include "pipeline/matomo_source.h"

namespace reco::pipeline {
namespace fs = std::filesystem;

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint64_t FeedbackKey(const Feedback& f) {
  std::hash<std::string_view> h;
  uint64_t k = h(f.feedback_type);
  k = k * 1000003u ^ h(f.user_id);
  k = k * 1000003u ^ h(f.item_id);
  return k * 1000003u ^ static_cast<uint64_t>(f.timestamp);
}

bool IsEmptyIdReason(const std::string& reason) {
  const bool id =
      reason.find("UserId") != std::string::npos || reason.find("ItemId") != std::string::npos;
  return id && (reason.find("is missing") != std::string::npos ||
                reason.find("must not be empty") != std::string::npos ||
                reason.find("empty id") != std::string::npos);
}

// The store as a source: counts the feedback that arrived since its watermark (from any
// channel, including this run's other sources). Nothing is copied.
Status ExtractStore(const ExtractOptions& options, Store& store, ExtractState& state,
                    ExtractReport& run, SourceReport& report) {
  const int64_t after = options.full_refresh ? 0 : state.store_seq;
  RECO_ASSIGN_OR_RETURN(const int64_t max_seq, store.MaxFeedbackSeq());
  int64_t rows = 0;
  RECO_RETURN_IF_ERROR(store.ScanFeedback(after, [&](const FeedbackRecord& r) {
    if (r.seq <= max_seq) ++rows;
  }));
  report.rows_read = rows;
  report.watermark_before = "seq " + std::to_string(after);
  report.watermark_after = "seq " + std::to_string(max_seq);
  run.store_seq_before = after;
  run.store_seq_after = max_seq;
  if (!options.dry_run) state.store_seq = max_seq;
  return Status::Ok();
}

void WriteSource(JsonWriter& w, const SourceReport& s) {
  w.Key(s.source).BeginObject();
  w.Key("rows_read").Int(s.rows_read).Key("rows_written").Int(s.rows_written);
  w.Key("rows_rejected").Int(s.rows_rejected).Key("rows_skipped").Int(s.rows_skipped);
  w.Key("rows_duplicate").Int(s.rows_duplicate).Key("rows_empty_id").Int(s.rows_empty_id);
  w.Key("seconds").Double(s.seconds);
  w.Key("watermark_before").String(s.watermark_before);
  w.Key("watermark_after").String(s.watermark_after);
  w.Key("issues").StringArray(s.issues);
  w.EndObject();
}

}  // namespace

void AddIssue(const ExtractOptions& options, std::string where, const std::string& reason,
              SourceReport& report) {
  ++report.rows_rejected;
  if (IsEmptyIdReason(reason)) ++report.rows_empty_id;
  if (static_cast<int>(report.issues.size()) < options.max_issues) {
    report.issues.push_back(std::move(where) + ": " + reason);
  }
}

Status RowWriter::Write(ingest::ImportBatch& batch) {
  for (const Feedback& f : batch.feedback) {
    if (!seen_.insert(FeedbackKey(f)).second) ++report_.rows_duplicate;
  }
  if (options_.dry_run) return Status::Ok();
  InsertFeedbackOptions insert;
  insert.overwrite = false;  // re-reading a row keeps the stored one: runs are idempotent
  insert.auto_insert_users = config_.database.auto_insert_user;
  insert.auto_insert_items = config_.database.auto_insert_item;
  if (!batch.users.empty() || !batch.items.empty()) {
    RECO_RETURN_IF_ERROR(store_.Import(batch.users, batch.items, {}, insert));
    report_.rows_written += static_cast<int64_t>(batch.users.size() + batch.items.size());
  }
  const size_t chunk = static_cast<size_t>(std::max(1, options_.batch_rows));
  std::span<const Feedback> rows(batch.feedback);
  for (size_t i = 0; i < rows.size(); i += chunk) {
    RECO_ASSIGN_OR_RETURN(
        int64_t written,
        store_.InsertFeedback(rows.subspan(i, std::min(chunk, rows.size() - i)), insert));
    report_.rows_written += written;
  }
  return Status::Ok();
}

// Rejects the rows dated after `latest` (a wrong clock on the analytics server).
void RejectFutureRows(const ExtractOptions& options, TimestampUs latest,
                      std::vector<Feedback>& rows, SourceReport& report) {
  auto late = std::remove_if(rows.begin(), rows.end(), [&](const Feedback& f) {
    std::string problem = ingest::FutureTimestampProblem(f.timestamp, latest);
    if (problem.empty()) return false;
    AddIssue(options, "page view of " + f.item_id, "Timestamp " + problem, report);
    return true;
  });
  rows.erase(late, rows.end());
}

Status ExtractMatomo(const ExtractOptions& options, const RecoConfig& config, Store& store,
                     TimestampUs now, ExtractState& state, SourceReport& report) {
  RECO_ASSIGN_OR_RETURN(std::unique_ptr<MatomoReader> reader,
                        MatomoReader::Connect(config.sources));
  int64_t after = options.full_refresh ? 0 : state.matomo_idlink_va;
  report.watermark_before = "idlink_va " + std::to_string(after);
  RECO_ASSIGN_OR_RETURN(MatomoPending pending, reader->CountPending(after));
  if (options.dry_run) {
    report.rows_read = pending.rows;
    report.watermark_after = "idlink_va " + std::to_string(std::max(after, pending.max_idlink_va));
    return Status::Ok();
  }
  Progress progress("extract matomo", static_cast<uint64_t>(pending.rows), "rows",
                    options.show_progress);
  RowWriter writer(store, config, options, report);
  const TimestampUs latest =
      ingest::LatestAcceptedTimestamp(now, config.database.max_future_skew_seconds);
  const int limit = std::max(1, options.batch_rows);
  while (true) {
    RECO_ASSIGN_OR_RETURN(MatomoBatch batch, reader->ReadBatch(after, limit));
    report.rows_read += batch.rows_read;
    report.rows_skipped += batch.rows_skipped;
    ingest::ImportBatch rows;
    rows.feedback = std::move(batch.feedback);
    RejectFutureRows(options, latest, rows.feedback, report);
    RECO_RETURN_IF_ERROR(writer.Write(rows));
    progress.Add(static_cast<uint64_t>(batch.rows_read));
    after = batch.last_idlink_va;
    if (batch.rows_read < limit) break;
  }
  progress.Finish();
  report.watermark_after = "idlink_va " + std::to_string(after);
  state.matomo_idlink_va = after;
  return Status::Ok();
}

const SourceReport* ExtractReport::Find(std::string_view source) const {
  for (const auto& s : sources) {
    if (s.source == source) return &s;
  }
  return nullptr;
}

SourceReport ExtractReport::Totals() const {
  SourceReport t;
  t.source = "total";
  for (const auto& s : sources) {
    if (s.source == kStoreSource) continue;
    t.rows_read += s.rows_read;
    t.rows_written += s.rows_written;
    t.rows_rejected += s.rows_rejected;
    t.rows_skipped += s.rows_skipped;
    t.rows_duplicate += s.rows_duplicate;
    t.rows_empty_id += s.rows_empty_id;
    t.seconds += s.seconds;
  }
  return t;
}

std::string ExtractMetricsJson(const ExtractReport& report) {
  JsonWriter w;
  w.BeginObject();
  w.Key("started").Timestamp(report.started);
  w.Key("full_refresh").Bool(report.full_refresh);
  w.Key("dry_run").Bool(report.dry_run);
  w.Key("seconds").Double(report.seconds);
  w.Key("store_seq_before").Int(report.store_seq_before);
  w.Key("store_seq_after").Int(report.store_seq_after);
  w.Key("sources").BeginObject();
  for (const auto& s : report.sources) WriteSource(w, s);
  w.EndObject();
  w.EndObject();
  std::string out = w.Take();
  out += '\n';
  return out;
}

Result<ExtractReport> RunExtract(const ExtractOptions& options, const RecoConfig& config,
                                 Store& store, const fs::path& data_dir, const Clock& clock) {
  const auto start = std::chrono::steady_clock::now();
  ExtractReport run;
  run.started = clock.NowMicros();
  run.full_refresh = options.full_refresh;
  run.dry_run = options.dry_run;
  const fs::path state_path = data_dir / kExtractStateFile;
  RECO_ASSIGN_OR_RETURN(ExtractState state, LoadExtractState(state_path));

  using SourceFn = std::function<Status(SourceReport&)>;
  std::vector<std::pair<std::string_view, SourceFn>> sources;
  if (!config.sources.json_dir.empty()) {
    sources.emplace_back(kJsonDirSource, [&](SourceReport& r) {
      return ExtractJsonDir(options, config, store, run.started, state, r);
    });
  }
  if (!config.sources.matomo_host.empty()) {
    sources.emplace_back(kMatomoSource, [&](SourceReport& r) {
      return ExtractMatomo(options, config, store, run.started, state, r);
    });
  }
  sources.emplace_back(
      kStoreSource, [&](SourceReport& r) { return ExtractStore(options, store, state, run, r); });
  for (auto& [name, fn] : sources) {
    const auto source_start = std::chrono::steady_clock::now();
    SourceReport report;
    report.source = std::string(name);
    RECO_RETURN_IF_ERROR(fn(report).WithPrefix("extract " + std::string(name)));
    report.seconds = SecondsSince(source_start);
    run.sources.push_back(std::move(report));
  }
  run.seconds = SecondsSince(start);
  if (options.dry_run) return run;
  // Every store write has returned ok: now the watermarks may move.
  if (run.Find(kStoreSource) != nullptr) state.store_updated = run.started;
  if (run.Find(kJsonDirSource) != nullptr) state.json_updated = run.started;
  if (run.Find(kMatomoSource) != nullptr) state.matomo_updated = run.started;
  RECO_RETURN_IF_ERROR(SaveExtractState(state_path, state));
  RECO_RETURN_IF_ERROR(WriteFileAtomic(data_dir / kExtractMetricsFile, ExtractMetricsJson(run)));
  return run;
}

}  // namespace reco::pipeline
