#include "cli/stop_signals.h"

#include <pthread.h>

namespace reco::cli {

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string_view StopSignals::Wait() const {
  int sig = 0;
  sigwait(&set_, &sig);
  return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

}  // namespace reco::cli
