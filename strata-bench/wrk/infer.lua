-- wrk script: POSTs one Open Inference Protocol request body, over and over, on every connection.
--   WRK_BODY=file WRK_CONTENT_TYPE=application/octet-stream WRK_HEADER_LENGTH=123 \
--     wrk -t 1 -c 16 -d 10s -s strata-bench/wrk/infer.lua http://127.0.0.1:8000/v2/models/small/infer
-- WRK_BODY: the body (JSON, or JSON followed by binary tensor data); WRK_HEADER_LENGTH: the
-- Inference-Header-Content-Length of a binary body (unset for JSON). The body is read once.
-- Prints one line "wrk-result {json}" at the end (latency in microseconds) after wrk's own report.

local file = assert(io.open(assert(os.getenv("WRK_BODY"), "WRK_BODY is not set"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"
local header_length = os.getenv("WRK_HEADER_LENGTH")
if header_length and header_length ~= "" then
  wrk.headers["Inference-Header-Content-Length"] = header_length
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'wrk-result {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%.1f,"p90_us":%.1f,'
      .. '"p99_us":%.1f,"p999_us":%.1f,"max_us":%.1f,"errors_connect":%d,"errors_read":%d,'
      .. '"errors_write":%d,"errors_status":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
