-- common.lua: shared by events.lua and pipeline.lua (loaded with dofile from
-- the same folder). Builds the request table and the done() report.
--
-- Globals set per thread (readable from done() through thread:get):
--   id     thread number, 0-based, in setup order
--   first  index of the thread's first request: id * 1e9, a multiple of both
--          16 and 1000, so threads' index ranges never overlap in a run
--   calls  request() calls that were sent (each sends `depth` requests)

local M = {}

-- users is the challenge's user-id modulus; values cycle modulo 1000 and
-- 1000 divides 75000, so bodies repeat every 75000 requests.
M.users = 75000
M.values = 1000

local threads = {}

-- setup runs in wrk's main Lua state once per thread, before that thread's
-- init, in thread order.
function M.setup(thread)
  local n = #threads
  thread:set("id", n)
  thread:set("first", n * 1e9)
  thread:set("calls", 0)
  threads[n + 1] = thread
end

local function gcd(a, b)
  while b ~= 0 do a, b = b, a % b end
  return a
end

-- batches returns a table of request strings: entry k (1-based) holds the
-- `depth` requests with indices first + (k-1)*depth .. + depth-1, each a
-- complete POST built by wrk.format. The table covers one full period of
-- both the bodies and the batching: lcm(75000, depth) requests.
function M.batches(depth, first)
  local period = M.users / gcd(M.users, depth) * depth
  local single = {}
  local headers = { ["Content-Type"] = "application/json" }
  for r = 0, M.users - 1 do
    local i = first + r
    local body = string.format('{"userId":"user_%d","value":%d}', i % M.users, i % M.values)
    single[r] = wrk.format("POST", nil, headers, body)
  end
  local out = {}
  for k = 0, period / depth - 1 do
    local parts = {}
    for j = 0, depth - 1 do
      parts[j + 1] = single[(k * depth + j) % M.users]
    end
    out[k + 1] = table.concat(parts)
  end
  return out
end

-- done returns wrk's done() callback: one line "ONEMRC_WRK {json}" on stdout.
-- summary.requests counts responses wrk read completely; errors.status counts
-- responses with status > 399. Latencies are microseconds per round trip (per
-- batch of `depth` when pipelined).
function M.done(depth)
  return function(summary, latency, requests)
    local per = {}
    for _, t in ipairs(threads) do
      per[#per + 1] = string.format('{"id":%d,"first":%.0f,"calls":%.0f}',
        t:get("id"), t:get("first"), t:get("calls"))
    end
    local e = summary.errors
    io.write(string.format(
      'ONEMRC_WRK {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,"depth":%d,' ..
      '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
      '"latency_us":{"min":%.0f,"mean":%.1f,"max":%.0f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f},' ..
      '"threads":[%s]}\n',
      summary.requests, summary.duration, summary.bytes, depth,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      table.concat(per, ",")))
  end
end

-- install wires setup/init/request/done for one pipelining depth into the
-- calling script's globals.
function M.install(depth)
  local reqs, pos, skip_verify
  setup = M.setup
  init = function(args)
    reqs = M.batches(depth, first)
    pos = 0
    -- wrk calls request() once on thread 0 right after its init, to count
    -- the requests in one call, and never sends that string: it must not
    -- advance the sequence or be counted in `calls`.
    skip_verify = (id == 0)
  end
  request = function()
    local r = reqs[pos + 1]
    if skip_verify then
      skip_verify = false
      return r
    end
    pos = (pos + 1) % #reqs
    calls = calls + 1
    return r
  end
  done = M.done(depth)
end

return M
