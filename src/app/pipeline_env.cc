#include "app/pipeline_env.h"

#include "api/http/http_client.h"

namespace reco::app {

pipeline::PipelineEnv MakePipelineEnv(const RecoConfig& config,
                                      const std::filesystem::path& data_dir, Store& store,
                                      const Clock& clock) {
  pipeline::PipelineEnv env;
  env.config = &config;
  env.store = &store;
  env.data_dir = data_dir;
  env.clock = &clock;
  env.reload_url = config.pipeline.reload_url;
  env.reload_token = config.server.ReloadCredential();
  env.post = HttpPostJson;
  return env;
}

}  // namespace reco::app
