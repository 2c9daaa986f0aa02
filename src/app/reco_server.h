// RecoServer: the all-in-one `reco serve` — opens the store, loads the online state and the
// newest models, and serves the REST API until Stop(). Every tenant (docs/tenants.md) gets the
// same object graph over its own data directory; the default tenant's is the data dir itself. Start-up is "ready" when Start()
// returns: the port is bound and the models (if any) are loaded.
//
// Thread-safety: Start() and Stop() from one controlling thread. Lifetime: Stop() (or the
// destructor) stops accepting, drains in-flight requests and closes the store.
#pragma once

#include <filesystem>
#include <memory>

#include "api/http/router.h"
#include "core/config.h"
#include "core/status.h"
#include "core/time.h"

namespace reco {
class Cache;
namespace kafka {
class KafkaIngest;
}  // namespace kafka

struct RecoServerOptions {
  std::filesystem::path data_dir;
  RecoConfig config;
};

class RecoServer {
 public:
  RecoServer(RecoServerOptions options, const Clock& clock);
  ~RecoServer();

  Status Start();
  int port() const;
  void Stop();

 private:
  struct Parts;
  struct Tenancy;
  Router MakeFront(Parts& root);
  void OpenRegisteredTenants();
  // [kafka] with brokers: the Kafka source, writing through each tenant's services.
  Status StartKafka();
  // cache.url set: the Redis cache every tenant's replica sync uses (cache_errors_total in the
  // default tenant's metrics). Unreachable fails start-up naming the masked URL.
  Status OpenSharedCache(Parts& root);

  RecoServerOptions options_;
  const Clock& clock_;
  std::unique_ptr<Parts> parts_;  // the default tenant's, with the HTTP server
  std::unique_ptr<Tenancy> tenancy_;
  std::unique_ptr<kafka::KafkaIngest> kafka_;  // null without [kafka] brokers
  std::unique_ptr<Cache> cache_;               // null without cache.url; Stop() closes the parts first
};

}  // namespace reco
