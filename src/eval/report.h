// Evaluation reports: the terminal table (metric rows x cut-off columns) and the JSON report
// {"dataset","protocol","model","options","metrics","users_evaluated","users_skipped",
//  "train_seconds","eval_seconds","peak_memory_bytes","split"}.
//
// Thread-safety: pure functions; PeakMemoryBytes reads /proc/self/status.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "eval/evaluator.h"
#include "eval/protocol.h"
#include "eval/scorer_interface.h"

namespace reco::eval {

struct EvalReport {
  std::string dataset;  // the input path(s)
  ProtocolOptions protocol;
  std::string model;             // "popular", "itemcf"
  std::vector<Setting> options;  // the model's effective options
  EvalResult result;
  SplitStats split;
  size_t num_users = 0;
  size_t num_items = 0;
  double load_seconds = 0;
  double train_seconds = 0;
  int64_t peak_memory_bytes = 0;
};

// Metric rows, one column per cut-off, values with 4 decimals.
std::string FormatTable(const EvalResult& result);

std::string ReportToJson(const EvalReport& report);

// The process's peak resident set (VmHWM in /proc/self/status), in bytes; 0 when unavailable.
int64_t PeakMemoryBytes();

}  // namespace reco::eval
