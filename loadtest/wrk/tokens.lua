-- wrk script: every request carries the next token of a token file, so every request is a
-- cold verification at the gateway (a closed-loop cross-check of join-storm).
--   java -jar loadtest/target/streamgate-loadtest.jar tokens --count 100000 --out tokens.txt \
--     --key keys/private.pem --kid lt --claim 'roles=[{"eventId":"demo"}]'
--   wrk -t1 -c32 -d8s --latency -s loadtest/wrk/tokens.lua http://127.0.0.1:8090 -- tokens.txt /live/demo/master.m3u8
-- Keep requests × runs below the file's line count: a token seen before is a cache hit.
local tokens = {}
local idx = 0
local path = "/live/demo/master.m3u8"

function init(args)
  for line in io.lines(args[1]) do
    tokens[#tokens + 1] = line
  end
  if args[2] then
    path = args[2]
  end
end

function request()
  idx = idx + 1
  if idx > #tokens then
    idx = 1 -- wrapped: from here on, tokens repeat (warm, cached)
  end
  return wrk.format("GET", path .. "?token=" .. tokens[idx])
end
