// The pipeline's environment for the process that runs it (`reco serve`'s scheduler, `reco
// worker`, `reco pipeline run`, `reco release --data-dir`), built in one place from the
// configuration: the publish task announces a new production version by POSTing to
// pipeline.reload_url (MODEL_RELOAD_URL) with server.reload_token, else server.api_key.
//
// Lifetime: the environment borrows `config`, `store` and `clock`, which must outlive it.
#pragma once

#include <filesystem>

#include "core/config.h"
#include "core/time.h"
#include "pipeline/tasks.h"
#include "store/store.h"

namespace reco::app {

pipeline::PipelineEnv MakePipelineEnv(const RecoConfig& config,
                                      const std::filesystem::path& data_dir, Store& store,
                                      const Clock& clock);

}  // namespace reco::app
