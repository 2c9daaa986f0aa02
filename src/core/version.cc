#include "core/version.h"

namespace reco {

const char* RecoVersion() { return RECO_VERSION; }
const char* CodeVersion() { return RECO_GIT_REV; }

}  // namespace reco
