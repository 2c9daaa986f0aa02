// KafkaIngest: the Kafka source of `reco serve` ([kafka] in reco.toml; docs/kafka.md). One
// consumer of a consumer group reads each tenant's item topic (item-events-{tenant}) and
// behaviour topic (behavior-events-{tenant}) and writes what it reads through that tenant's
// catalogue and feedback services, exactly as the REST routes do (the online state sees it at
// once).
//
// Delivery is at least once: a batch of messages is written, then its offsets are committed
// (synchronously); a crash between the two redelivers the batch, and since an item upsert,
// an item delete and a feedback upsert are idempotent, a redelivered message changes nothing.
// A message that cannot be parsed, or that the store refuses for good (InvalidArgument,
// NotFound, quota), goes to the dead-letter topic with the error in its headers, and is
// counted; a store that is unavailable stops the consumer on that batch (no commit, the batch
// is read again after a back-off).
// On a rebalance the partitions being revoked get their batch written and committed first.
//
// Thread-safety: Start() and Stop() from one controlling thread; the consumer runs on its own
// thread. Lifetime: the resolver's services and the MetricsRegistry must outlive Stop().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "ops/metrics.h"
#include "service/catalogue_service.h"
#include "service/feedback_service.h"

namespace reco::kafka {

struct KafkaIngestOptions {
  std::string brokers;  // bootstrap servers, host:port[,host:port]
  std::string group_id = "reco";
  std::string item_topic = "item-events-{tenant}";          // {tenant}: the tenant's name
  std::string feedback_topic = "behavior-events-{tenant}";  // "" = no behaviour topic
  std::string dead_letter_topic = "reco-dead-letter";
  std::vector<std::string> tenants = {"default"};
  int batch_size = 500;         // messages written in one store batch at most
  double batch_seconds = 0.2;   // ... or what arrived within this time
  double startup_seconds = 10;  // Start() fails when no broker answers within this time
  // A consumer that stops heartbeating (killed) loses its partitions after this long; one
  // that stops cleanly leaves the group at once.
  double session_timeout_seconds = 45;
  double max_backoff_seconds = 30;  // the longest wait before a refused batch is retried
};

// The services a tenant's messages are written through.
struct IngestTarget {
  service::CatalogueService* catalogue = nullptr;
  service::FeedbackService* feedback = nullptr;
  std::shared_ptr<const void> keep_alive;  // holds the services while a batch is written
};
// NotFound for a tenant that does not exist (its messages go to the dead-letter topic).
using TargetResolver = std::function<Result<IngestTarget>(const std::string& tenant)>;

class KafkaIngest {
 public:
  KafkaIngest(KafkaIngestOptions options, TargetResolver resolver, MetricsRegistry& metrics);
  ~KafkaIngest();  // Stop()

  // Connects, checks that a broker answers (Unavailable naming the brokers otherwise),
  // subscribes and starts the consumer thread.
  Status Start();
  // Writes and commits the batch in hand, leaves the group and joins the thread.
  void Stop();

  // Partitions assigned to this consumer now, as "topic[partition]".
  std::vector<std::string> assigned() const;
  // Messages written to the store, sent to the dead-letter topic, since Start().
  int64_t written() const { return written_.load(); }
  int64_t dead_lettered() const { return dead_lettered_.load(); }

  struct Impl;

 private:
  void Run();

  KafkaIngestOptions options_;
  TargetResolver resolver_;
  MetricsRegistry& metrics_;
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> written_{0};
  std::atomic<int64_t> dead_lettered_{0};
};

// "item-events-{tenant}" with tenant "shop" -> "item-events-shop".
std::string TopicFor(std::string_view pattern, std::string_view tenant);

}  // namespace reco::kafka
