-- The request mix of bench/load.py for wrk 4 (LuaJIT):
--   wrk -s bench/load.lua URL -- MIX_FILE SEED CLIENTS T0 WINDOW
--
-- MIX_FILE (written by bench/load.py), tab-separated lines:
--   C <class> <weight>      a traffic class and its share of the requests
--   P <class> <path>        one of the class's paths (picked uniformly at random)
-- Each request picks a class by weight, then a path. It carries X-Request-ID "k<class number>.<thread>.<n>": the
-- application echoes the header (honestmeter/ops/logs.py), which is how a response is matched to its request, so
-- latency, status and bytes are counted per class (wrk itself only knows the whole run). A response without the
-- header (the bare baseline app does not echo it) counts under class 0, "unmatched"; wrk's own figures still hold.
-- CLIENTS > 0: each request also carries X-Forwarded-For from that many client addresses (the site trusts one
-- proxy hop: per-address state such as the rate limiter's sees many visitors, as behind nginx).
-- Latencies are kept as histograms with 1 % wide buckets: floor(100 * ln(microseconds)), per time window: window
-- n holds the responses that arrived between T0 + n * WINDOW and T0 + (n + 1) * WINDOW seconds of CLOCK_MONOTONIC
-- (T0 is the caller's time.monotonic(): the same clock), so one run can be split by what ran next to it.
-- done() prints one line "WRK_JSON {...}" for bench/load.py. Per-thread counts live in one flat table keyed
-- "h|window|class|bucket", "s|window|class|status" and "b|window|class": wrk 4.1's thread:get() crashes on nested
-- tables.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } hm_timespec;
int clock_gettime(int clk_id, hm_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local ts = ffi.new("hm_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_no", thread_count)
  table.insert(threads, thread)
end

function init(args)
  classes, cumulative, total = {}, {}, 0
  local index = {}
  for line in io.lines(args[1]) do
    local kind, name, value = line:match("^(%a)\t([^\t]+)\t(.*)$")
    if kind == "C" then
      classes[#classes + 1] = { name = name, weight = tonumber(value), paths = {} }
      index[name] = #classes
    elseif kind == "P" then
      table.insert(classes[index[name]].paths, value)
    end
  end
  for i, class in ipairs(classes) do
    assert(#class.paths > 0, "class without paths: " .. class.name)
    total = total + class.weight
    cumulative[i] = total
  end
  math.randomseed((tonumber(args[2]) or 1) * 1000 + thread_no)
  clients = tonumber(args[3]) or 0
  t0_us, window_us = (tonumber(args[4]) or 0) * 1000000, (tonumber(args[5]) or 1000000) * 1000000
  seq, sent, counts, names = 0, {}, {}, { [0] = "unmatched" }
  for i, class in ipairs(classes) do
    names[i] = class.name
  end
end

local function count(key, n)
  counts[key] = (counts[key] or 0) + n
end

function request()
  local r = math.random() * total
  local c = 1
  while cumulative[c] < r do
    c = c + 1
  end
  local paths = classes[c].paths
  seq = seq + 1
  local id = string.format("k%02d.%d.%08d", c, thread_no, seq)
  local headers = { ["X-Request-ID"] = id }
  if clients > 0 then
    local n = math.random(clients)
    headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  end
  sent[id] = now_us()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

function response(status, headers, body)
  local id = headers["X-Request-ID"] or headers["x-request-id"]
  local started = id and sent[id]
  local now = now_us()
  local at = math.floor((now - t0_us) / window_us) .. "|"
  local c = 0
  if started then
    sent[id] = nil
    c = tonumber(id:sub(2, 3))
    count("h|" .. at .. c .. "|" .. math.floor(100 * math.log(math.max(1, now - started))), 1)
  end
  count("s|" .. at .. c .. "|" .. status, 1)
  count("b|" .. at .. c, #body)
end

local function encode(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for k, v in pairs(value) do
      parts[#parts + 1] = string.format("%q", tostring(k)) .. ":" .. encode(v)
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "string" then
    return string.format("%q", value)
  elseif kind == "number" then
    return string.format("%.17g", value)
  end
  return tostring(value)
end

function done(summary, latency, requests)
  local out = {
    requests = summary.requests,
    duration_us = summary.duration,
    bytes = summary.bytes,
    errors = summary.errors,
    latency_us = {
      p50 = latency:percentile(50),
      p95 = latency:percentile(95),
      p99 = latency:percentile(99),
      max = latency.max,
      mean = latency.mean,
    },
    windows = {},
  }
  for _, thread in ipairs(threads) do
    local names_, counts_ = thread:get("names"), thread:get("counts")
    for key, n in pairs(counts_) do
      local kind, w, c, rest = key:match("^(%a)|(-?%d+)|(%d+)|?(.*)$")
      local name = names_[tonumber(c)]
      out.windows[w] = out.windows[w] or {}
      local into = out.windows[w][name]
      if into == nil then
        into = { hist = {}, statuses = {}, bytes = 0 }
        out.windows[w][name] = into
      end
      if kind == "h" then
        into.hist[rest] = (into.hist[rest] or 0) + n
      elseif kind == "s" then
        into.statuses[rest] = (into.statuses[rest] or 0) + n
      else
        into.bytes = into.bytes + n
      end
    end
  end
  io.write("WRK_JSON " .. encode(out) .. "\n")
end
