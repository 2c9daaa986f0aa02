#include "kafka/kafka_ingest.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "kafka/events.h"

namespace reco::kafka {
namespace {

enum class TopicKind { kItems, kFeedback };

struct TopicRole {
  std::string tenant;
  TopicKind kind = TopicKind::kItems;
};

// One message read and not yet committed; the payload is copied (the librdkafka message is
// released at once).
struct Pending {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string payload;
};

// A message refused for good, with why.
struct DeadLetter {
  const Pending* message = nullptr;
  std::string error;
};

// What became of a batch.
enum class Outcome { kCommitted, kRetry };

bool Transient(const Status& st) {
  switch (st.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kInternal:
    case StatusCode::kDataLoss:
    case StatusCode::kInsufficientStorage:
      return true;
    default:
      return false;
  }
}

std::string PartitionName(std::string_view topic, int32_t partition) {
  return std::string(topic) + "[" + std::to_string(partition) + "]";
}

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

Result<rd_kafka_conf_t*> MakeConf(const KafkaIngestOptions& options) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  auto set = [&](const char* name, const std::string& value) -> Status {
    if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      return InvalidArgument(std::string("kafka: ") + name + ": " + errstr);
    }
    return Status::Ok();
  };
  Status st = set("bootstrap.servers", options.brokers);
  if (!st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st;
  }
  rd_kafka_conf_set_log_cb(
      conf, [](const rd_kafka_t*, int level, const char* fac, const char* buf) {
        if (level <= 4) {
          spdlog::warn("event=kafka_client facility={} message=\"{}\"", fac, buf);
        } else {
          spdlog::debug("event=kafka_client facility={} message=\"{}\"", fac, buf);
        }
      });
  return conf;
}

}  // namespace

std::string TopicFor(std::string_view pattern, std::string_view tenant) {
  std::string out(pattern);
  constexpr std::string_view kPlaceholder = "{tenant}";
  for (size_t at = out.find(kPlaceholder); at != std::string::npos;
       at = out.find(kPlaceholder, at + tenant.size())) {
    out.replace(at, kPlaceholder.size(), tenant);
  }
  return out;
}

struct KafkaIngest::Impl {
  KafkaIngest* owner = nullptr;
  KafkaHandle consumer;
  KafkaHandle producer;                              // the dead-letter topic
  std::unordered_map<std::string, TopicRole> roles;  // topic -> tenant and kind
  std::vector<Pending> batch;
  EventParser parser;
  std::atomic<int64_t> delivery_failures{0};
  mutable std::mutex assigned_mu;
  std::vector<std::string> assigned;  // guarded by assigned_mu
  CounterFamily* messages = nullptr;  // kafka_messages_total{topic,result}
  GaugeFamily* lag = nullptr;         // kafka_consumer_lag{topic,partition}
  Counter* commit_failures = nullptr;
  std::mutex wait_mu;
  std::condition_variable wait_cv;

  Outcome Process();
  // Writes the tenant's messages; the ones refused for good are added to `dead`. Transient
  // errors are returned.
  Status WriteTenant(const std::string& tenant, const std::vector<const Pending*>& items,
                     const std::vector<const Pending*>& feedback, std::vector<DeadLetter>& dead);
  Status WriteItems(const IngestTarget& target, const std::vector<const Pending*>& messages,
                    std::vector<DeadLetter>& dead);
  Status WriteFeedback(const IngestTarget& target, const std::vector<const Pending*>& messages,
                       std::vector<DeadLetter>& dead);
  Status SendDeadLetters(const std::vector<DeadLetter>& dead);
  void Commit();
  void Rewind();
  void UpdateLag();
  void SetAssigned(const rd_kafka_topic_partition_list_t* partitions);
  void OnRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
};

Status KafkaIngest::Impl::WriteItems(const IngestTarget& target,
                                     const std::vector<const Pending*>& messages,
                                     std::vector<DeadLetter>& dead) {
  // Consecutive upserts are one store batch; a delete ends the run (events of one item keep
  // their order).
  std::vector<Item> run;
  std::vector<const Pending*> run_messages;
  auto flush = [&]() -> Status {
    if (run.empty()) return Status::Ok();
    auto put = target.catalogue->PutItems(run);
    if (!put.ok()) {
      if (Transient(put.status())) return put.status();
      // Find the refused ones: one by one.
      for (size_t i = 0; i < run.size(); ++i) {
        auto one = target.catalogue->PutItems(std::span<const Item>(&run[i], 1));
        if (one.ok()) continue;
        if (Transient(one.status())) return one.status();
        dead.push_back({run_messages[i], one.status().ToString()});
      }
    }
    run.clear();
    run_messages.clear();
    return Status::Ok();
  };
  for (const Pending* m : messages) {
    auto event = parser.ParseItemEvent(m->payload);
    if (!event.ok()) {
      dead.push_back({m, event.status().ToString()});
      continue;
    }
    if (auto* upsert = std::get_if<ItemUpsert>(&*event)) {
      run.push_back(std::move(upsert->item));
      run_messages.push_back(m);
      continue;
    }
    RECO_RETURN_IF_ERROR(flush());
    const std::string& id = std::get<ItemDelete>(*event).item_id;
    auto deleted = target.catalogue->DeleteItem(id);
    if (!deleted.ok() && deleted.status().code() != StatusCode::kNotFound) {
      if (Transient(deleted.status())) return deleted.status();
      dead.push_back({m, deleted.status().ToString()});
    }
  }
  return flush();
}

Status KafkaIngest::Impl::WriteFeedback(const IngestTarget& target,
                                        const std::vector<const Pending*>& messages,
                                        std::vector<DeadLetter>& dead) {
  std::vector<Feedback> rows;
  std::vector<const Pending*> row_messages;
  for (const Pending* m : messages) {
    auto row = parser.ParseFeedbackEvent(m->payload);
    if (!row.ok()) {
      dead.push_back({m, row.status().ToString()});
      continue;
    }
    rows.push_back(std::move(row).value());
    row_messages.push_back(m);
  }
  if (rows.empty()) return Status::Ok();
  auto written = target.feedback->Write({.rows = rows, .overwrite = true});
  if (written.ok()) return Status::Ok();
  if (Transient(written.status())) return written.status();
  for (size_t i = 0; i < rows.size(); ++i) {
    auto one =
        target.feedback->Write({.rows = std::span<const Feedback>(&rows[i], 1), .overwrite = true});
    if (one.ok()) continue;
    if (Transient(one.status())) return one.status();
    dead.push_back({row_messages[i], one.status().ToString()});
  }
  return Status::Ok();
}

Status KafkaIngest::Impl::WriteTenant(const std::string& tenant,
                                      const std::vector<const Pending*>& items,
                                      const std::vector<const Pending*>& feedback,
                                      std::vector<DeadLetter>& dead) {
  auto target = owner->resolver_(tenant);
  if (!target.ok()) {
    if (Transient(target.status())) return target.status();
    for (const Pending* m : items) dead.push_back({m, target.status().ToString()});
    for (const Pending* m : feedback) dead.push_back({m, target.status().ToString()});
    return Status::Ok();
  }
  // Items first: feedback of a new item then finds it.
  RECO_RETURN_IF_ERROR(WriteItems(*target, items, dead));
  return WriteFeedback(*target, feedback, dead);
}

Status KafkaIngest::Impl::SendDeadLetters(const std::vector<DeadLetter>& dead) {
  if (dead.empty()) return Status::Ok();
  delivery_failures.store(0);
  const std::string& topic = owner->options_.dead_letter_topic;
  for (const DeadLetter& d : dead) {
    const Pending& m = *d.message;
    const std::string partition = std::to_string(m.partition);
    const std::string offset = std::to_string(m.offset);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(const_cast<char*>(m.payload.data()), m.payload.size()),
        RD_KAFKA_V_KEY(m.key.data(), m.key.size()),
        RD_KAFKA_V_HEADER("reco-error", d.error.data(), static_cast<ssize_t>(d.error.size())),
        RD_KAFKA_V_HEADER("reco-topic", m.topic.data(), static_cast<ssize_t>(m.topic.size())),
        RD_KAFKA_V_HEADER("reco-partition", partition.data(),
                          static_cast<ssize_t>(partition.size())),
        RD_KAFKA_V_HEADER("reco-offset", offset.data(), static_cast<ssize_t>(offset.size())),
        RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Unavailable("kafka: dead-letter topic " + topic + ": " + rd_kafka_err2str(err));
    }
  }
  if (rd_kafka_flush(producer.get(), 10000) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      delivery_failures.load() > 0) {
    return Unavailable("kafka: dead-letter topic " + topic + ": not delivered");
  }
  for (const DeadLetter& d : dead) {
    spdlog::warn("event=kafka_dead_letter topic={} partition={} offset={} error=\"{}\"",
                 d.message->topic, d.message->partition, d.message->offset, d.error);
    messages->WithLabels({d.message->topic, "dead_letter"})->Inc();
  }
  owner->dead_lettered_ += static_cast<int64_t>(dead.size());
  return Status::Ok();
}

Outcome KafkaIngest::Impl::Process() {
  if (batch.empty()) return Outcome::kCommitted;
  // Per tenant, in arrival order.
  std::map<std::string, std::pair<std::vector<const Pending*>, std::vector<const Pending*>>>
      by_tenant;
  std::vector<DeadLetter> dead;
  for (const Pending& m : batch) {
    auto role = roles.find(m.topic);
    if (role == roles.end()) {
      dead.push_back({&m, "topic " + m.topic + " is not one reco reads"});
      continue;
    }
    auto& lists = by_tenant[role->second.tenant];
    (role->second.kind == TopicKind::kItems ? lists.first : lists.second).push_back(&m);
  }
  Status st = Status::Ok();
  for (const auto& [tenant, lists] : by_tenant) {
    st = WriteTenant(tenant, lists.first, lists.second, dead);
    if (!st.ok()) break;
  }
  if (st.ok()) st = SendDeadLetters(dead);
  if (!st.ok()) {
    spdlog::warn("event=kafka_batch_failed messages={} reason=\"{}\"", batch.size(), st.ToString());
    for (const Pending& m : batch) messages->WithLabels({m.topic, "retried"})->Inc();
    return Outcome::kRetry;
  }
  std::unordered_set<const Pending*> refused;
  for (const DeadLetter& d : dead) refused.insert(d.message);
  int64_t ok = 0;
  for (const Pending& m : batch) {
    if (refused.count(&m) > 0) continue;
    messages->WithLabels({m.topic, "written"})->Inc();
    ++ok;
  }
  owner->written_ += ok;
  spdlog::debug("event=kafka_batch messages={} written={} dead_letters={}", batch.size(), ok,
                dead.size());
  Commit();
  return Outcome::kCommitted;
}

void KafkaIngest::Impl::Commit() {
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const Pending& m : batch) {
    int64_t& n = next[{m.topic, m.partition}];
    n = std::max(n, m.offset + 1);
  }
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(next.size())));
  for (const auto& [tp, offset] : next) {
    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset = offset;
  }
  rd_kafka_resp_err_t err = rd_kafka_commit(consumer.get(), list.get(), /*async=*/0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // The batch is written: the messages come again after a rebalance and change nothing.
    commit_failures->Inc();
    spdlog::warn("event=kafka_commit_failed reason=\"{}\"", rd_kafka_err2str(err));
  }
  batch.clear();
}

void KafkaIngest::Impl::Rewind() {
  std::map<std::pair<std::string, int32_t>, int64_t> first;
  for (const Pending& m : batch) {
    auto [it, inserted] = first.try_emplace({m.topic, m.partition}, m.offset);
    if (!inserted) it->second = std::min(it->second, m.offset);
  }
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(first.size())));
  for (const auto& [tp, offset] : first) {
    rd_kafka_topic_partition_list_add(list.get(), tp.first.c_str(), tp.second)->offset = offset;
  }
  if (rd_kafka_error_t* error = rd_kafka_seek_partitions(consumer.get(), list.get(), 5000)) {
    spdlog::warn("event=kafka_seek_failed reason=\"{}\"", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
  batch.clear();
}

void KafkaIngest::Impl::UpdateLag() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(consumer.get(), &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  PartitionList list(raw);
  if (rd_kafka_position(consumer.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(consumer.get(), p.topic, p.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    const int64_t position = p.offset >= 0 ? p.offset : low;
    lag->WithLabels({p.topic, std::to_string(p.partition)})
        ->Set(static_cast<double>(std::max<int64_t>(0, high - position)));
  }
}

void KafkaIngest::Impl::SetAssigned(const rd_kafka_topic_partition_list_t* partitions) {
  std::vector<std::string> names;
  if (partitions != nullptr) {
    for (int i = 0; i < partitions->cnt; ++i) {
      names.push_back(PartitionName(partitions->elems[i].topic, partitions->elems[i].partition));
    }
  }
  std::sort(names.begin(), names.end());
  std::lock_guard lock(assigned_mu);
  assigned = std::move(names);
}

void KafkaIngest::Impl::OnRebalance(rd_kafka_resp_err_t err,
                                    rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    spdlog::info("event=kafka_assigned partitions={}", partitions->cnt);
    rd_kafka_assign(consumer.get(), partitions);
    SetAssigned(partitions);
    return;
  }
  // Revoked (or an error): what was read is written and committed before the partitions go to
  // another consumer; when that fails it is left uncommitted and the new owner reads it again.
  if (Process() == Outcome::kRetry) batch.clear();
  spdlog::info("event=kafka_revoked partitions={}", partitions == nullptr ? 0 : partitions->cnt);
  rd_kafka_assign(consumer.get(), nullptr);
  SetAssigned(nullptr);
}

KafkaIngest::KafkaIngest(KafkaIngestOptions options, TargetResolver resolver,
                         MetricsRegistry& metrics)
    : options_(std::move(options)), resolver_(std::move(resolver)), metrics_(metrics) {}

KafkaIngest::~KafkaIngest() { Stop(); }

std::vector<std::string> KafkaIngest::assigned() const {
  if (impl_ == nullptr) return {};
  std::lock_guard lock(impl_->assigned_mu);
  return impl_->assigned;
}

Status KafkaIngest::Start() {
  if (options_.brokers.empty()) return InvalidArgument("kafka.brokers: must not be empty");
  if (options_.tenants.empty()) return InvalidArgument("kafka.tenants: must not be empty");
  auto impl = std::make_unique<Impl>();
  impl->owner = this;
  impl->messages = metrics_.AddCounter(
      "kafka_messages_total", "Kafka messages by topic and result: written, dead_letter, retried.",
      {"topic", "result"});
  impl->lag =
      metrics_.AddGauge("kafka_consumer_lag", "Messages of an assigned partition not read yet.",
                        {"topic", "partition"});
  impl->commit_failures = metrics_.GetCounter(
      "kafka_commit_failures_total", "Offset commits that failed (the batch was written).");
  for (const std::string& tenant : options_.tenants) {
    impl->roles[TopicFor(options_.item_topic, tenant)] = {tenant, TopicKind::kItems};
    if (!options_.feedback_topic.empty()) {
      impl->roles[TopicFor(options_.feedback_topic, tenant)] = {tenant, TopicKind::kFeedback};
    }
  }
  char errstr[512];

  RECO_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, MakeConf(options_));
  for (auto [name, value] : std::initializer_list<std::pair<const char*, std::string>>{
           {"group.id", options_.group_id},
           {"enable.auto.commit", "false"},
           {"enable.auto.offset.store", "false"},
           {"auto.offset.reset", "earliest"},
           {"session.timeout.ms",
            std::to_string(static_cast<int>(options_.session_timeout_seconds * 1000))},
           {"heartbeat.interval.ms",
            std::to_string(
                std::max(100, static_cast<int>(options_.session_timeout_seconds * 1000 / 10)))}}) {
    if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return InvalidArgument(std::string("kafka: ") + name + ": " + errstr);
    }
  }
  rd_kafka_conf_set_opaque(conf, impl.get());
  rd_kafka_conf_set_rebalance_cb(
      conf, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
               void* opaque) { static_cast<Impl*>(opaque)->OnRebalance(err, partitions); });
  impl->consumer.reset(rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr));
  if (impl->consumer == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new owns the configuration only when it succeeds
    return Unavailable(std::string("kafka: ") + errstr);
  }

  RECO_ASSIGN_OR_RETURN(rd_kafka_conf_t * pconf, MakeConf(options_));
  rd_kafka_conf_set_opaque(pconf, impl.get());
  rd_kafka_conf_set_dr_msg_cb(pconf, [](rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      static_cast<Impl*>(opaque)->delivery_failures.fetch_add(1);
      spdlog::warn("event=kafka_dead_letter_failed reason=\"{}\"", rd_kafka_err2str(m->err));
    }
  });
  impl->producer.reset(rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof errstr));
  if (impl->producer == nullptr) {
    rd_kafka_conf_destroy(pconf);
    return Unavailable(std::string("kafka: ") + errstr);
  }

  // A configured source that cannot be reached fails start-up (never a silent no-op).
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(impl->consumer.get(), /*all_topics=*/0, nullptr, &metadata,
                        static_cast<int>(options_.startup_seconds * 1000));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Unavailable("kafka.brokers=" + options_.brokers + ": no broker answered within " +
                       std::to_string(static_cast<int>(options_.startup_seconds)) + " s (" +
                       rd_kafka_err2str(err) + ")");
  }
  rd_kafka_metadata_destroy(metadata);

  rd_kafka_poll_set_consumer(impl->consumer.get());
  PartitionList topics(rd_kafka_topic_partition_list_new(static_cast<int>(impl->roles.size())));
  for (const auto& [topic, role] : impl->roles) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  err = rd_kafka_subscribe(impl->consumer.get(), topics.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Unavailable(std::string("kafka: subscribe: ") + rd_kafka_err2str(err));
  }
  spdlog::info("event=kafka_started brokers={} group={} topics={}", options_.brokers,
               options_.group_id, impl->roles.size());
  impl_ = std::move(impl);
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void KafkaIngest::Run() {
  Impl& s = *impl_;
  using Clock = std::chrono::steady_clock;
  double backoff = 0.5;
  Clock::time_point last_lag = Clock::now();
  while (!stop_) {
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(options_.batch_seconds));
    while (!stop_ && static_cast<int>(s.batch.size()) < options_.batch_size) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      rd_kafka_message_t* m = rd_kafka_consumer_poll(s.consumer.get(), static_cast<int>(left));
      if (m == nullptr) continue;
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
          spdlog::warn("event=kafka_consume_error reason=\"{}\"", rd_kafka_message_errstr(m));
        }
      } else {
        s.batch.push_back({rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                           std::string(static_cast<const char*>(m->key), m->key_len),
                           std::string(static_cast<const char*>(m->payload), m->len)});
      }
      rd_kafka_message_destroy(m);
    }
    if (s.Process() == Outcome::kRetry) {
      s.Rewind();
      std::unique_lock lock(s.wait_mu);
      s.wait_cv.wait_for(lock, std::chrono::duration<double>(backoff),
                         [this] { return stop_.load(); });
      backoff = std::min(backoff * 2, options_.max_backoff_seconds);
    } else {
      backoff = 0.5;
    }
    if (Clock::now() - last_lag > std::chrono::seconds(1)) {
      s.UpdateLag();
      last_lag = Clock::now();
    }
  }
  // What was read is written and committed once more before leaving the group.
  if (s.Process() == Outcome::kRetry) s.batch.clear();
  rd_kafka_consumer_close(s.consumer.get());
}

void KafkaIngest::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(impl_->wait_mu);
    stop_ = true;
  }
  impl_->wait_cv.notify_all();
  thread_.join();
  impl_->consumer.reset();
  if (impl_->producer != nullptr) rd_kafka_flush(impl_->producer.get(), 5000);
  impl_->producer.reset();
  spdlog::info("event=kafka_stopped written={} dead_letters={}", written_.load(),
               dead_lettered_.load());
}

}  // namespace reco::kafka
