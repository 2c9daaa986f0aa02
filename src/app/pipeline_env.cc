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

Result<pipeline::PipelineRun> RunPipelineHere(const RecoConfig& config,
                                              const std::filesystem::path& data_dir, Store& store,
                                              const Clock& clock,
                                              const pipeline::RunRequest& request,
                                              LocalPipelineOptions options) {
  pipeline::PipelineEnv env = MakePipelineEnv(config, data_dir, store, clock);
  if (!options.reload_url.empty()) env.reload_url = options.reload_url;
  env.threads = options.threads;
  env.show_progress = options.show_progress;
  options.runner.task_retries = config.pipeline.task_retries;
  pipeline::PipelineRunner runner(data_dir, pipeline::MakePipelineTasks(env), clock,
                                  std::move(options.runner));
  return runner.Run(request, options.on_started);
}

}  // namespace reco::app
