-- wrk script: GET one path per id, cycling over every id of a file.
-- Usage: wrk -s bench/cycle_ids.lua URL -- IDS_FILE THREADS NAME PATH_TEMPLATE
-- PATH_TEMPLATE has one "{id}", e.g. "/api/recommend/{id}?n=20" or "/similar/{id}?top_n=5";
-- NAME labels the JSON line printed by done(). Thread t of T requests ids t, t+T, t+2T, ...
-- so that together the threads cover all ids.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "wrk_common.lua")

setup = common.setup

local ids, stride, pos, prefix, suffix

function init(args)
  ids = common.read_ids(args[1])
  stride = tonumber(args[2]) or 1
  name = args[3] or "get"  -- global: done() reads it from a thread's state
  local template = assert(args[4], "missing PATH_TEMPLATE")
  prefix, suffix = template:match("^(.*){id}(.*)$")
  assert(prefix, "PATH_TEMPLATE must contain {id}")
  pos = tid % #ids
end

function request()
  local id = ids[pos + 1]
  pos = (pos + stride) % #ids
  return wrk.format("GET", prefix .. id .. suffix)
end

function done(summary, latency, requests)
  common.done(common.thread_global("name") or "get", summary, latency)
end
