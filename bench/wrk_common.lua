-- Shared helpers of the wrk scripts in bench/ (loaded with dofile by each of them).
--
-- Every script takes its ids file and the wrk thread count as script arguments
-- (`wrk ... URL -- IDS_FILE THREADS`), numbers its threads in setup(), and prints one
-- machine-readable line "RECO_BENCH_JSON {...}" from done().
local M = {}

local threads = {}
local next_tid = 0

-- Registers a wrk thread and gives it its index (global `tid` inside the thread).
function M.setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

-- The value of global `name` in the first thread's state (done() runs in the main state).
function M.thread_global(name)
  return threads[1] and threads[1]:get(name)
end

-- Reads one id per line, skipping blank lines.
function M.read_ids(path)
  local ids = {}
  local f = assert(io.open(path, "r"), "cannot open ids file " .. tostring(path))
  for line in f:lines() do
    if #line > 0 then ids[#ids + 1] = line end
  end
  f:close()
  assert(#ids > 0, "ids file " .. path .. " is empty")
  return ids
end

local function json_number(x)
  if x == nil or x ~= x then return "null" end
  return string.format("%.17g", x)
end

-- Prints the run summary as one JSON line. `counters` names thread globals summed over threads.
function M.done(name, summary, latency, counters)
  local e = summary.errors
  local secs = summary.duration / 1e6
  local fields = {
    {"script", string.format("%q", name)},
    {"duration_s", json_number(secs)},
    {"requests", json_number(summary.requests)},
    {"requests_per_s", json_number(summary.requests / secs)},
    {"bytes", json_number(summary.bytes)},
    {"non_2xx_3xx", json_number(e.status)},
    {"socket_errors_connect", json_number(e.connect)},
    {"socket_errors_read", json_number(e.read)},
    {"socket_errors_write", json_number(e.write)},
    {"socket_errors_timeout", json_number(e.timeout)},
    {"latency_mean_ms", json_number(latency.mean / 1000)},
    {"latency_stdev_ms", json_number(latency.stdev / 1000)},
    {"latency_p50_ms", json_number(latency:percentile(50) / 1000)},
    {"latency_p90_ms", json_number(latency:percentile(90) / 1000)},
    {"latency_p99_ms", json_number(latency:percentile(99) / 1000)},
    {"latency_p999_ms", json_number(latency:percentile(99.9) / 1000)},
    {"latency_max_ms", json_number(latency.max / 1000)},
  }
  for _, c in ipairs(counters or {}) do
    local total = 0
    for _, t in ipairs(threads) do total = total + (tonumber(t:get(c)) or 0) end
    fields[#fields + 1] = {c, json_number(total)}
  end
  local parts = {}
  for _, kv in ipairs(fields) do parts[#parts + 1] = string.format("%q: %s", kv[1], kv[2]) end
  io.write("RECO_BENCH_JSON {" .. table.concat(parts, ", ") .. "}\n")
end

return M
