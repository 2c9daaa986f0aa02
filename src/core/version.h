// The release and source revision of this build. They are compiled into version.cc alone, so a
// new commit rebuilds one file rather than every file that includes a header using them.
#pragma once

namespace reco {

// The project version, e.g. "0.1.0".
const char* RecoVersion();
// The git revision the binary was built from (short hash), or "unknown".
const char* CodeVersion();

}  // namespace reco
