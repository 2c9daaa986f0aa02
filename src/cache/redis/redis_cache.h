// RedisCache: the Cache on a Redis server (cache.url = "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]"),
// through hiredis' synchronous API. Commands use a small pool of connections with short
// connect and command timeouts; when the server cannot be reached every call fails fast
// (Unavailable, reported to the error observer) and a new connection is tried after a back-off
// that doubles up to max_backoff_ms, so calls recover on their own once Redis is back. A
// subscription holds a connection of its own on a thread of its own and reconnects the same way.
//
// Keys: history `PREFIX{user}:recent` (list, oldest first) and `PREFIX{user}:seen` (set);
// counters are hashes; lock `NAME` holds "TOKEN:HOLDER" with a PX expiry and `NAME:fence` the
// last token (INCR).
//
// Thread-safety: as Cache. Lifetime: the cache must outlive its subscriptions.
#pragma once

#include <memory>
#include <string>

#include "cache/cache.h"

namespace reco {

struct RedisCacheOptions {
  std::string url;                 // redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
  int connect_timeout_ms = 500;    // per connection attempt
  int command_timeout_ms = 500;    // per reply
  int max_backoff_ms = 2000;       // longest wait between connection attempts while down
  size_t max_idle_connections = 8;
  CacheErrorObserver on_error;     // failed calls, by op (may be empty)
};

// The URL with its password replaced by *** (for logs and errors).
std::string MaskRedisUrl(std::string_view url);

// Connects and pings: Unavailable naming the masked URL when the server cannot be reached or
// refuses the credentials; InvalidArgument naming cache.url for a URL that does not parse.
Result<std::unique_ptr<Cache>> OpenRedisCache(RedisCacheOptions options);

}  // namespace reco
