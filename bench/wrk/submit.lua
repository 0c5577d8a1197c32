-- wrk script: submit a quick process asynchronously (POST /processes/primes_between/execution).
wrk.method = "POST"
wrk.body = '{"inputs": {"min_val": 0, "max_val": 50}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "respond-async"
