-- wrk script of bench/auth.sh: refresh_token grants in chains. Each rotation spends the
-- token it presents and returns the next one, so a token is never sent twice (that would
-- be reuse, which revokes the family): a pool of unspent tokens, seeded from the file
-- BENCH_REFRESH_TOKENS (one per line, from independent sign-ins), loses the token each
-- request takes and gains the one its answer carries. wrk calls response() before the
-- connection's next request(), so with at least as many tokens as connections the pool
-- never runs dry. Run it with ONE wrk thread (-t1): every thread would load the whole file.
-- A request with no token left sends "exhausted" and counts as a non-2xx error.
-- At the end, the unspent tokens go to BENCH_REFRESH_TOKENS_OUT (when set), so the next run
-- continues the chains; the tokens of requests still in flight when wrk stops are lost.
tokens = {} -- global: done() reads it from the thread with thread:get
local threads = {}
local path = os.getenv("BENCH_REFRESH_TOKENS")
if not path or path == "" then
  error("BENCH_REFRESH_TOKENS is not set")
end
for line in io.lines(path) do
  if line ~= "" then
    tokens[#tokens + 1] = line
  end
end

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

request = function()
  local t = table.remove(tokens) or "exhausted"
  return wrk.format("POST", "/auth/token", headers, "grant_type=refresh_token&refresh_token=" .. t)
end

response = function(status, _, body)
  if status == 200 then
    local t = body:match('"refresh_token":"([%w_%-]+)"')
    if t then
      tokens[#tokens + 1] = t
    end
  end
end

function setup(thread)
  threads[#threads + 1] = thread
end

function done()
  local out = os.getenv("BENCH_REFRESH_TOKENS_OUT")
  if not out or out == "" then
    return
  end
  local f = assert(io.open(out, "w"))
  for _, thread in ipairs(threads) do
    for _, t in ipairs(thread:get("tokens")) do
      f:write(t, "\n")
    end
  end
  f:close()
end
