#include "store/import_stream.h"

#include "store/id_check.h"

namespace reco {

Result<int64_t> WriteImportChunks(const ImportChunkFn& next,
                                  const std::function<Result<int64_t>(const ImportChunk&)>& write) {
  int64_t written = 0;
  ImportChunk chunk;
  for (bool more = true; more;) {
    chunk.clear();
    RECO_ASSIGN_OR_RETURN(more, next(chunk));
    RECO_RETURN_IF_ERROR(CheckUserIds(chunk.users));
    RECO_RETURN_IF_ERROR(CheckItemIds(chunk.items));
    RECO_RETURN_IF_ERROR(CheckFeedbackIds(chunk.feedback));
    RECO_ASSIGN_OR_RETURN(int64_t n, write(chunk));
    written += n;
  }
  return written;
}

}  // namespace reco
