#include "cache/open_cache.h"

#include "cache/memory_cache.h"
#include "cache/redis/redis_cache.h"

namespace reco {

Result<std::unique_ptr<Cache>> OpenCache(const RecoConfig& config, CacheErrorObserver on_error) {
  if (config.cache.url.empty()) return std::unique_ptr<Cache>(std::make_unique<MemoryCache>());
  RedisCacheOptions options;
  options.url = config.cache.url;
  options.connect_timeout_ms = config.cache.timeout_ms;
  options.command_timeout_ms = config.cache.timeout_ms;
  options.on_error = std::move(on_error);
  return OpenRedisCache(std::move(options));
}

}  // namespace reco
