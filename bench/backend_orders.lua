-- wrk script of bench/backend.sh: POST /api/v1/orders with a bearer token, one line of one
-- unit, the product taken in turn from BENCH_IDS (comma separated), and a distinct
-- Idempotency-Key on every request (a random prefix per wrk thread, then a counter), so each
-- request makes a new order. Non-2xx answers count as errors in wrk's report.
local token = os.getenv("BENCH_TOKEN")
local list = os.getenv("BENCH_IDS")
if not token or token == "" then error("BENCH_TOKEN is not set") end
if not list or list == "" then error("BENCH_IDS is not set") end

local bodies = {}
for id in string.gmatch(list, "%d+") do
  bodies[#bodies + 1] = '{"lines":[{"product_id":' .. id .. ',"quantity":1}]}'
end
local n = #bodies
local i = 0
local counter = 0
local prefix = ""

local threads = 0
function setup(thread)
  thread:set("thread_no", threads)
  threads = threads + 1
end

function init(args)
  -- wrk seeds each thread's Lua state alike; mix in the time and the thread number.
  math.randomseed(os.time() * 1000 + (thread_no or 0))
  prefix = string.format("bench-%d-%08x%08x-", thread_no or 0, math.random(0, 0x7fffffff),
                         math.random(0, 0x7fffffff))
  i = ((thread_no or 0) * 7919) % n
end

function request()
  i = i % n + 1
  counter = counter + 1
  return wrk.format("POST", "/api/v1/orders", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }, bodies[i])
end
