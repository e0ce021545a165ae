-- wrk script of bench/backend.sh: GET /api/v1/products/{id} with a bearer token, the ids
-- taken in turn from BENCH_IDS (comma separated: the catalog's active products), so the
-- requests spread over the whole catalog as a shop's traffic would, and every answer is a
-- 200. Each wrk thread starts at a different place in the list. The requests are formatted
-- once, in init: request() only hands out a prepared string, so wrk's own cost per request
-- stays near that of a fixed URL (a wrk.format per request would cap wrk -t1 well below
-- what micromax serves).
local token = os.getenv("BENCH_TOKEN")
local list = os.getenv("BENCH_IDS")
if not token or token == "" then error("BENCH_TOKEN is not set") end
if not list or list == "" then error("BENCH_IDS is not set") end

local ids = {}
for id in string.gmatch(list, "%d+") do
  ids[#ids + 1] = id
end
local requests = {}
local n = #ids
local i = 0

local threads = 0
function setup(thread)
  thread:set("start", threads * 7919)
  threads = threads + 1
end

function init(args)
  local headers = { ["Authorization"] = "Bearer " .. token }
  for k, id in ipairs(ids) do
    requests[k] = wrk.format("GET", "/api/v1/products/" .. id, headers)
  end
  i = (start or 0) % n
end

function request()
  i = i % n + 1
  return requests[i]
end
