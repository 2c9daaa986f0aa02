-- wrk script: GET /api/recommend/{user}?n=N cycling over every user id of a file.
-- Usage: wrk -s bench/recommend.lua URL -- USER_IDS_FILE THREADS [N]
-- Thread t of T requests ids t, t+T, t+2T, ... so that together the threads cover all users.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "wrk_common.lua")

setup = common.setup

local ids, stride, pos, n

function init(args)
  ids = common.read_ids(args[1])
  stride = tonumber(args[2]) or 1
  n = tonumber(args[3]) or 20
  pos = tid % #ids
end

function request()
  local id = ids[pos + 1]
  pos = (pos + stride) % #ids
  return wrk.format("GET", "/api/recommend/" .. id .. "?n=" .. n)
end

function done(summary, latency, requests)
  common.done("recommend", summary, latency)
end
