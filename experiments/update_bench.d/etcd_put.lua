-- wrk script for experiments/update_bench: every request PUTs a distinct key through etcd's v3
-- JSON gateway (/v3/kv/put), so every one is a committed write; done() prints one RESULT line.
-- Keys are base64 in that API. A key is the run's prefix (padded to a multiple of 3 bytes) and a
-- 9-digit counter, so its base64 is the prefix's followed by three precomputed 3-digit groups:
-- the client spends no time encoding (it shares the machine's cores with the servers).

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

-- Only called while starting: base64 of a string whose length is a multiple of 3.
local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local n = s:byte(i) * 65536 + s:byte(i + 1) * 256 + s:byte(i + 2)
    for shift = 18, 0, -6 do
      local v = math.floor(n / 2 ^ shift) % 64
      out[#out + 1] = alphabet:sub(v + 1, v + 1)
    end
  end
  return table.concat(out)
end

local groups = {}
for i = 0, 999 do groups[i] = base64(string.format("%03d", i)) end

local prefix64 = base64("k00")
local value64 = base64("192.0.2.1")  -- 9 bytes
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  local prefix = (args[1] or "k") .. "-" .. tostring(thread_number or 0) .. "-"
  while #prefix % 3 ~= 0 do prefix = prefix .. "_" end
  prefix64 = base64(prefix)
end

wrk.method = "POST"
wrk.path = "/v3/kv/put"
wrk.headers["Content-Type"] = "application/json"

function request()
  counter = counter + 1
  local c = counter
  local key = prefix64 .. groups[math.floor(c / 1000000) % 1000] ..
              groups[math.floor(c / 1000) % 1000] .. groups[c % 1000]
  return wrk.format(nil, nil, nil, '{"key":"' .. key .. '","value":"' .. value64 .. '"}')
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d " ..
    "p50_us=%d p99_us=%d mean_us=%.1f\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
