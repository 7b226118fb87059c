-- pipeline.lua: as events.lua, but each write carries 16 requests back to
-- back (HTTP/1.1 pipelining, RFC 9112 section 9.3). wrk parses the string
-- request() returns, counts 16 requests in it, and waits for 16 responses
-- before writing again; each response counts as one completed request.
--   wrk -t1 -c100 -d10s -s benchmarks/wrk/pipeline.lua --latency http://127.0.0.1:PORT/event
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua").install(16)
