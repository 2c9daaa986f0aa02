#include "serving/replica_sync.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>

#include "core/json_writer.h"

namespace reco {
namespace {

std::string DefaultOrigin() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device rd;
  return fmt::format("{}:{}:{:06x}", host, ::getpid(), rd() & 0xffffff);
}

std::string EncodeOrigin(std::string_view origin) {
  JsonWriter w;
  w.BeginObject().Key("origin").String(origin).EndObject();
  return w.Take();
}

// The control messages of the feedback channel: {"origin":O,"resync":true} and
// {"origin":O,"reset_user":U}.
struct Control {
  std::string origin;
  bool resync = false;
  std::optional<std::string> reset_user;
};

bool ReadControl(std::string_view message, Control& out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view origin, user;
  if (parser.parse(message.data(), message.size()).get(root) != simdjson::SUCCESS ||
      root["origin"].get_string().get(origin) != simdjson::SUCCESS) {
    return false;
  }
  out.origin = std::string(origin);
  bool resync = false;
  out.resync = root["resync"].get_bool().get(resync) == simdjson::SUCCESS && resync;
  out.reset_user.reset();
  if (root["reset_user"].get_string().get(user) == simdjson::SUCCESS) {
    out.reset_user = std::string(user);
  }
  return out.resync || out.reset_user.has_value();
}

}  // namespace

std::string ReplicaSync::EncodeFeedback(std::string_view origin, std::span<const Feedback> rows) {
  JsonWriter w;
  w.BeginObject().Key("origin").String(origin).Key("rows").BeginArray();
  for (const Feedback& f : rows) {
    w.BeginObject()
        .Key("t").String(f.feedback_type)
        .Key("u").String(f.user_id)
        .Key("i").String(f.item_id)
        .Key("v").Double(f.value)
        .Key("ts").Int(f.timestamp)
        .EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

bool ReplicaSync::DecodeFeedback(std::string_view message, std::string& origin,
                                 std::vector<Feedback>& rows) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(message.data(), message.size()).get(root) != simdjson::SUCCESS) return false;
  std::string_view o;
  simdjson::dom::array array;
  if (root["origin"].get_string().get(o) != simdjson::SUCCESS ||
      root["rows"].get_array().get(array) != simdjson::SUCCESS) {
    return false;
  }
  origin = std::string(o);
  rows.clear();
  for (simdjson::dom::element e : array) {
    std::string_view t, u, i;
    double v = 1;
    int64_t ts = 0;
    if (e["t"].get_string().get(t) != simdjson::SUCCESS ||
        e["u"].get_string().get(u) != simdjson::SUCCESS ||
        e["i"].get_string().get(i) != simdjson::SUCCESS ||
        e["v"].get_double().get(v) != simdjson::SUCCESS ||
        e["ts"].get_int64().get(ts) != simdjson::SUCCESS) {
      return false;
    }
    rows.push_back(Feedback{.feedback_type = std::string(t),
                            .user_id = std::string(u),
                            .item_id = std::string(i),
                            .value = v,
                            .timestamp = ts});
  }
  return true;
}

ReplicaSync::ReplicaSync(Cache& cache, OnlineState& state, ReplicaSyncOptions options)
    : cache_(cache), state_(state), options_(std::move(options)), keys_(options_.tenant) {
  if (options_.origin.empty()) options_.origin = DefaultOrigin();
}

ReplicaSync::~ReplicaSync() {
  {
    std::lock_guard lock(retry_mu_);
    stopping_ = true;
  }
  retry_cv_.notify_all();
  if (retry_.joinable()) retry_.join();
  subscription_.reset();
}

void ReplicaSync::MarkResyncPending() {
  {
    std::lock_guard lock(retry_mu_);
    resync_pending_.store(true);
  }
  retry_cv_.notify_all();
}

void ReplicaSync::RetryLoop() {
  const auto every = std::chrono::milliseconds(std::max(1, options_.resync_retry_ms));
  std::unique_lock lock(retry_mu_);
  while (!stopping_) {
    retry_cv_.wait(lock, [this] { return stopping_ || resync_pending_.load(); });
    if (retry_cv_.wait_for(lock, every, [this] { return stopping_; })) break;
    lock.unlock();
    (void)FlushResync();  // a failure leaves it pending: tried again after `every`
    lock.lock();
  }
}

Result<std::unique_ptr<ReplicaSync>> ReplicaSync::Start(Cache& cache, OnlineState& state,
                                                        ReplicaSyncOptions options) {
  std::unique_ptr<ReplicaSync> sync(new ReplicaSync(cache, state, std::move(options)));
  ReplicaSync* self = sync.get();
  sync->retry_ = std::thread([self] { self->RetryLoop(); });
  RECO_ASSIGN_OR_RETURN(
      sync->subscription_,
      cache.Subscribe(
          {self->keys_.feedback_channel(), self->keys_.models_channel()},
          [self](std::string_view channel, std::string_view message) {
            self->OnMessage(channel, message);
          },
          {.on_connected = [self] { self->OnConnected(); }}));
  return sync;
}

Status ReplicaSync::OnFeedbackWritten(std::span<const Feedback> rows) {
  if (rows.empty()) return Status::Ok();
  std::vector<HistoryEntry> entries;
  entries.reserve(rows.size());
  for (const Feedback& f : rows) {
    const FeedbackKind kind = state_.KindOf(f.feedback_type);
    entries.push_back({f.user_id, f.item_id, kind == FeedbackKind::kPositive});
  }
  // Both are tried: a failed history write does not keep the other replicas uninformed.
  Status history = cache_.AppendHistory(keys_.history_prefix(), entries, options_.history);
  Status published =
      PublishCounted(keys_.feedback_channel(), EncodeFeedback(options_.origin, rows));
  return published.ok() ? history : published;
}

Status ReplicaSync::OnUserFeedbackDeleted(std::string_view user_id) {
  JsonWriter w;
  w.BeginObject().Key("origin").String(options_.origin).Key("reset_user").String(user_id);
  w.EndObject();
  return PublishCounted(keys_.feedback_channel(), w.Take());
}

Status ReplicaSync::OnModelsChanged() {
  return PublishCounted(keys_.models_channel(), EncodeOrigin(options_.origin));
}

Status ReplicaSync::FlushResync() {
  if (!resync_pending_.exchange(false)) return Status::Ok();
  JsonWriter w;
  w.BeginObject().Key("origin").String(options_.origin).Key("resync").Bool(true).EndObject();
  Status st = cache_.Publish(keys_.feedback_channel(), w.str());
  if (!st.ok()) {
    MarkResyncPending();
    return st;
  }
  spdlog::info("event=replica_resync_published tenant={}", options_.tenant);
  return Status::Ok();
}

Status ReplicaSync::PublishCounted(const std::string& channel, const std::string& message) {
  RECO_RETURN_IF_ERROR(FlushResync());
  Status st = cache_.Publish(channel, message);
  if (!st.ok()) MarkResyncPending();
  return st;
}

void ReplicaSync::OnConnected() {
  if (options_.on_connected) options_.on_connected();
  (void)FlushResync();
}

void ReplicaSync::OnMessage(std::string_view channel, std::string_view message) {
  if (channel == keys_.feedback_channel()) {
    thread_local std::string origin;
    thread_local std::vector<Feedback> rows;
    if (Control control; ReadControl(message, control)) {
      if (control.origin == options_.origin) return;
      if (control.reset_user) {
        spdlog::debug("event=replica_user_reset tenant={} origin={}", options_.tenant,
                      control.origin);
        if (options_.on_user_reset) options_.on_user_reset(*control.reset_user);
      }
      if (control.resync) {
        spdlog::info("event=replica_resync tenant={} origin={}", options_.tenant,
                     control.origin);
        if (options_.on_connected) options_.on_connected();
      }
      return;
    }
    if (!DecodeFeedback(message, origin, rows)) {
      spdlog::warn("event=replica_message_unreadable tenant={} channel=feedback bytes={}",
                   options_.tenant, message.size());
      return;
    }
    if (origin == options_.origin) return;
    state_.ApplyFeedback(rows);
    spdlog::debug("event=replica_feedback_applied tenant={} origin={} rows={}", options_.tenant,
                  origin, rows.size());
    return;
  }
  if (channel == keys_.models_channel()) {
    thread_local simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view origin;
    if (parser.parse(message.data(), message.size()).get(root) != simdjson::SUCCESS ||
        root["origin"].get_string().get(origin) != simdjson::SUCCESS) {
      spdlog::warn("event=replica_message_unreadable tenant={} channel=models bytes={}",
                   options_.tenant, message.size());
      return;
    }
    if (origin == options_.origin) return;
    spdlog::info("event=replica_models_published tenant={} origin={}", options_.tenant, origin);
    if (options_.on_models_published) options_.on_models_published();
  }
}

}  // namespace reco
