-- wrk script for heartbeats_bench.py: random device tokens, a unique taken_at per request
-- (thread index as the second, a counter as the microseconds), single or batch form.
-- Environment: BENCH_TOKENS (file, one token per line), BENCH_BASE (e.g. 2026-11-27T10:00),
-- BENCH_BATCH (0 for the single form, else heartbeats per batch), BENCH_RUN (0..14: each run
-- of the same minute uses other seconds, so no run repeats another's beats).
-- ``second`` is a global on purpose: thread:set() writes the thread's globals, which a local
-- of the same name would hide (every beat then had second 0, and the runs repeated each other's
-- beats: later runs measured duplicates, which skip the fold).
local tokens, counter, batch, base = {}, 0, 0, ""
local thread_count = 0
second = 0

function setup(thread)
  thread:set("second", tonumber(os.getenv("BENCH_RUN") or "0") * 4 + thread_count)
  thread_count = thread_count + 1
end

function init(args)
  for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
  base = os.getenv("BENCH_BASE")
  batch = tonumber(os.getenv("BENCH_BATCH") or "0")
  math.randomseed(7 + second)
end

local function taken()
  counter = counter + 1
  return string.format("%s:%02d.%06d+00:00", base, second, counter)
end

local function beat(with_token)
  local token = tokens[math.random(#tokens)]
  if with_token then
    return string.format('{"device_token":"%s","taken_at":"%s","status":"ok"}', token, taken())
  end
  return token, string.format('{"taken_at":"%s","status":"ok"}', taken())
end

function request()
  if batch == 0 then
    local token, body = beat(false)
    return wrk.format("POST", "/api/v1/heartbeats",
      {["Content-Type"] = "application/json", ["X-Device-Token"] = token}, body)
  end
  local items = {}
  for i = 1, batch do items[i] = beat(true) end
  return wrk.format("POST", "/api/v1/heartbeats/batch",
    {["Content-Type"] = "application/json"}, '{"heartbeats":[' .. table.concat(items, ",") .. ']}')
end

function done(summary, latency, requests)
  io.write(string.format(
    "RESULT requests=%d seconds=%.3f errors=%d p50=%.2f p95=%.2f p99=%.2f\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
