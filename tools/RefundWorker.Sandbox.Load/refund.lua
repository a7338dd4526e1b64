-- wrk script replaying refunds pre-signed by `RefundWorker.Sandbox.Load --wrk-out FILE` (see README).
-- Each request is unique (X-EXTERNAL-ID, partnerRefundNo), so every one is a valid refund the sandbox books.
-- Each wrk thread takes every n-th line; a thread that runs out of lines stops sending.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("REQUESTS")
  local f = assert(io.open(path, "r"), "set REQUESTS to the file written by --wrk-out")
  local header = f:read("*l")
  local token, partner = header:match("^([^\t]+)\t([^\t]+)$")
  reqs = {}
  local i = 0
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  for line in f:lines() do
    if i % nthreads == id then
      local ts, sig, ext, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
      reqs[#reqs + 1] = wrk.format("POST", "/nicepay/api/v1.0/qr/qr-mpm-refund", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. token,
        ["X-TIMESTAMP"] = ts,
        ["X-SIGNATURE"] = sig,
        ["X-PARTNER-ID"] = partner,
        ["X-EXTERNAL-ID"] = ext,
        ["CHANNEL-ID"] = partner .. "01",
      }, body)
    end
    i = i + 1
  end
  f:close()
  n = 0
  ok = 0
  bad = 0
end

function request()
  n = n + 1
  if n > #reqs then
    wrk.thread:stop()
    return reqs[#reqs]
  end
  return reqs[n]
end

function response(status, headers, body)
  if status == 200 and body:find('"2007800"', 1, true) then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local good, other = 0, 0
  for _, t in ipairs(threads) do
    good = good + (t:get("ok") or 0)
    other = other + (t:get("bad") or 0)
  end
  io.write(string.format("wrk: %d answered 2007800, %d other\n", good, other))
  io.write(string.format("wrk: %d requests, %.0f req/s, latency p50 %.2f ms p99 %.2f ms\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
