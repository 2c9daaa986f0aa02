// How a long-running subcommand (serve, worker, gateway) stops: SIGTERM and SIGINT are blocked
// in the calling thread and every thread it starts afterwards, so that the main thread takes
// them in Wait(); SIGPIPE is ignored (a client that hangs up must not end the process).
//
// Thread-safety: construct on the main thread before starting any other thread.
#pragma once

#include <signal.h>

#include <string_view>

namespace reco::cli {

class StopSignals {
 public:
  StopSignals();
  // Blocks until SIGTERM or SIGINT arrives; the signal's name.
  std::string_view Wait() const;

 private:
  sigset_t set_;
};

}  // namespace reco::cli
