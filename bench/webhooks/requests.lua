-- wrk script for bench/webhooks/run.sh: every thread walks its share of a precomputed list
-- of signed WhatsApp status webhooks (one "signature<TAB>body" per line) so that each body is
-- sent exactly once. A connection that asks for a request after the list is used up re-sends
-- the thread's last body (a duplicate delivery, which the server answers 200 as a no-op; at
-- few per connection). A thread stops once every one of its bodies has been answered and
-- leaves a marker file; run.sh then sends SIGINT to wrk, which ends the run and prints the
-- summary.
--
-- Environment: WH_REQUESTS (the list), WH_PATH (/hooks/whatsapp/<token>), WH_THREADS,
-- WH_DONE_DIR (a directory for the per-thread "finished" markers).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  sent = 0
  answered = 0
  stored = 0
  refused = 0
  replays = 0
  local nthreads = tonumber(os.getenv("WH_THREADS"))
  local path = os.getenv("WH_PATH")
  local i = 0
  for line in io.lines(os.getenv("WH_REQUESTS")) do
    if i % nthreads == id then
      local tab = line:find("\t", 1, true)
      local sig, body = line:sub(1, tab - 1), line:sub(tab + 1)
      reqs[#reqs + 1] = wrk.format("POST", path, {
        ["Content-Type"] = "application/json",
        ["X-Hub-Signature-256"] = sig,
      }, body)
    end
    i = i + 1
  end
  total = #reqs
  -- wrk calls request() once on the first thread to check the request before the run; that
  -- call must not use up a body.
  verifying = (id == 0)
end

function request()
  if verifying then
    verifying = false
    return reqs[1]
  end
  sent = sent + 1
  if sent <= total then
    return reqs[sent]
  end
  replays = replays + 1
  return reqs[total]
end

local function finished()
  wrk.thread:stop()
  local dir = os.getenv("WH_DONE_DIR")
  local f = io.open(dir .. "/thread." .. id, "w")
  f:write("done\n")
  f:close()
end

function response(status, headers, body)
  -- A first delivery answers {"stored":1,...}; a replay {"stored":0,"duplicates":1}.
  if status == 200 and body:find('"stored":1', 1, true) then
    stored = stored + 1
    answered = answered + 1
  elseif status ~= 200 then
    refused = refused + 1
    answered = answered + 1
  end
  if answered == total then
    finished()
  end
end

function done(summary, latency, requests)
  local s, r, x = 0, 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("stored")
    r = r + t:get("refused")
    x = x + t:get("replays")
  end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d stored=%d refused=%d replays=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d timeouts=%d\n",
    summary.requests, summary.duration, s, r, x, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, summary.errors.timeout))
end
