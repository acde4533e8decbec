-- wrk script: log in with the account bench/login.sh created.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"
-- Requests without fetch metadata must name our origin (CSRF check).
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN")
wrk.body = "email=bench%40example.com&password=violet+kettle+marching+north"

local failures = 0
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("non-200 answers: %d\n", failures))
end
