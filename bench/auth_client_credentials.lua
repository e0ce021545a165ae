-- wrk script of bench/auth.sh: POST /auth/token with grant_type=client_credentials, the
-- client authenticated by HTTP Basic (BENCH_BASIC = base64 of "client_id:client_secret").
-- Every request is the same; the service looks the client up, checks the secret's hash and
-- signs a fresh access token. Non-2xx answers count as errors in wrk's report.
local basic = os.getenv("BENCH_BASIC")
if not basic or basic == "" then
  error("BENCH_BASIC is not set")
end
wrk.method = "POST"
wrk.path = "/auth/token"
wrk.body = "grant_type=client_credentials"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. basic
