-- events.lua: wrk script posting the challenge's varied events, one request
-- per round trip (no pipelining). Used by benchmarks/compare:
--   wrk -t1 -c1000 -d10s -s benchmarks/wrk/events.lua --latency http://127.0.0.1:PORT/event
--
-- Request number i (counted from the thread's offset, see common.lua) is
--   POST /event  {"userId":"user_<i % 75000>","value":<i % 1000>}
-- Bodies repeat every 75000 requests, so a pre-built table of 75000 requests
-- is cycled: no string is built while the clock runs.
-- done() prints one line "ONEMRC_WRK {json}" for the harness.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").install(1)
