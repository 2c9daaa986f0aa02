// OpenCache: picks and opens the Cache backend named by the configuration. The one place where
// `reco` code chooses a cache backend (as store/open_store.h for the Store).
//
// Thread-safety: thread-safe; the returned cache is owned by the caller.
#pragma once

#include <memory>

#include "cache/cache.h"
#include "core/config.h"
#include "core/status.h"

namespace reco {

// cache.url empty: a MemoryCache (nothing shared, no server needed). redis://...: a RedisCache
// with cache.timeout_ms as connect and command timeout; unreachable is Unavailable naming the
// URL with its password masked, never a fallback to memory.
Result<std::unique_ptr<Cache>> OpenCache(const RecoConfig& config,
                                         CacheErrorObserver on_error = {});

}  // namespace reco
