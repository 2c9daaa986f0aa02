-- wrk script: POST /api/feedback in batches of new "like" events.
-- Usage: wrk -s bench/feedback.lua URL -- USER_IDS ITEM_IDS TRAIN_TXT THREADS [BATCH] [NEW_ITEMS]
--
-- Pairs are existing users x existing items that are not in TRAIN_TXT (LightGCN format), each
-- sent once: thread t of T takes event numbers g = t, t+T, ...; event g goes to user g mod U and
-- item (g div U + 7919 * user) mod I, which is one-to-one for g < U * I. The last NEW_ITEMS
-- events of every batch (default 1) name a new item id, so auto-insert runs lightly.
-- done() also prints the 2xx responses and the sum of their "RowAffected".
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "wrk_common.lua")

setup = common.setup

local users, items, seen, stride, batch, new_items, next_g, batch_no
local kItemSpace = 1048576
local kTimestamp = "2024-06-01T12:00:00Z"

local function load_seen(path)
  local set = {}
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in f:lines() do
    local user
    for tok in line:gmatch("%d+") do
      if user == nil then
        user = tonumber(tok)
      else
        set[user * kItemSpace + tonumber(tok)] = true
      end
    end
  end
  f:close()
  return set
end

function init(args)
  users = common.read_ids(args[1])
  items = common.read_ids(args[2])
  seen = load_seen(args[3])
  stride = tonumber(args[4]) or 1
  batch = tonumber(args[5]) or 1000
  new_items = tonumber(args[6]) or 1
  next_g = tid
  batch_no = 0
  ok_responses = 0
  rows_affected = 0
  events_sent = 0
end

local function next_pair()
  while true do
    local g = next_g
    next_g = next_g + stride
    local u = g % #users
    local i = (math.floor(g / #users) + 7919 * u) % #items
    local user, item = users[u + 1], items[i + 1]
    if not seen[tonumber(user) * kItemSpace + tonumber(item)] then return user, item end
  end
end

local function event(user, item)
  return '{"FeedbackType":"like","UserId":"' .. user .. '","ItemId":"' .. item ..
         '","Timestamp":"' .. kTimestamp .. '"}'
end

function request()
  local parts = {}
  for k = 1, batch - new_items do
    parts[k] = event(next_pair())
  end
  for k = 1, new_items do
    local user = next_pair()
    parts[#parts + 1] = event(user, "bench-new-" .. tid .. "-" .. batch_no .. "-" .. k)
  end
  batch_no = batch_no + 1
  events_sent = events_sent + batch
  return wrk.format("POST", "/api/feedback", {["Content-Type"] = "application/json"},
                    "[" .. table.concat(parts, ",") .. "]")
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok_responses = ok_responses + 1
    rows_affected = rows_affected + (tonumber(body:match('"RowAffected"%s*:%s*(%d+)')) or 0)
  end
end

function done(summary, latency, requests)
  common.done("feedback", summary, latency, {"ok_responses", "rows_affected", "events_sent"})
end
