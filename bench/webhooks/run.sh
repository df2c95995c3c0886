#!/usr/bin/env bash
# WhatsApp status webhook benchmark: EVENTS (default 50,000) signed status webhooks, one status
# per delivery, posted by wrk at CONCURRENCY (default 64) connections to `prospector serve` on
# SQLite; prints accepted events/s and p99 latency, then waits for the `messaging.webhooks`
# job to apply them and checks in the database that every message reached the status its
# webhook carried (zero lost). Targets: >= 5,000 events/s, p99 < 50 ms, zero lost. Exits
# non-zero when an event was lost or refused.
#
# Usage: bench/webhooks/run.sh PATH_TO_PROSPECTOR [EVENTS] [CONCURRENCY]
set -euo pipefail

BIN=${1:?usage: run.sh PATH_TO_PROSPECTOR [EVENTS] [CONCURRENCY]}
N=${2:-50000}
CONC=${3:-64}
THREADS=2
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/prospector-bench-webhooks.XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; fi
  [[ -n "${KEEP:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT
is_root() { [[ "$(id -u)" = 0 ]]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if ! command -v wrk >/dev/null; then
  if is_root && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null 2>&1 || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || true
    }
  fi
fi
command -v wrk >/dev/null || { echo "webhooks: wrk missing (apt-get install wrk)" >&2; exit 1; }

export PROSPECTOR_DATA_DIR="$WORK/data" PROSPECTOR_SECRET_KEY=$(printf '07%.0s' {1..32})
export PROSPECTOR_LOG=${PROSPECTOR_LOG:-warn}
unset DATABASE_URL
DB="$WORK/data/prospector.db"
P() { "$BIN" "$@"; }
APP_SECRET="bench-app-secret-$(date +%s)"

echo "== webhooks: $N signed WhatsApp status webhooks, $CONC connections, SQLite"
P migrate >/dev/null 2>&1
echo "a long enough password" | P user create --email bench@example.com --password-stdin >/dev/null
WS=$(P workspace create --name "Bench Agency" --owner bench@example.com)
# A sandbox number: nothing leaves the process; the app secret is what signs the webhooks.
P whatsapp connect --workspace "$WS" --sandbox --phone-number-id 100000000000001 \
  --waba-id 200000000000001 --access-token bench-token --app-secret "$APP_SECRET" \
  --verify-token bench-verify > "$WORK/connect.json"
HOOK_PATH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["webhook_path"])' "$WORK/connect.json")
[[ -f "$DB" ]] || DB=$(ls "$WORK"/data/*.db | head -1)

# N sent WhatsApp template messages with known wamids, seeded directly in SQL (the outbox
# rows a broadcast leaves behind once the Graph API accepted them: `messages` status sent
# with provider_id = wamid, `channel_messages` provider_status sent, rank 1). Then N
# webhook bodies in Meta's envelope (one status each: delivered for even, read for odd
# messages, with our message id in biz_opaque_callback_data as dispatch sets it), compact
# JSON as Meta sends it, each with X-Hub-Signature-256 = sha256=HMAC(app secret, raw body).
python3 - "$DB" "$WS" "$N" "$APP_SECRET" "$WORK/requests.tsv" "$WORK/expected.tsv" <<'PY'
import hashlib, hmac, json, sqlite3, sys, time
db, ws_slug, n, secret, out, expected = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].encode(), sys.argv[5], sys.argv[6]
c = sqlite3.connect(db)
ws = c.execute("SELECT id FROM workspaces WHERE slug = ? OR CAST(id AS TEXT) = ?", (ws_slug, ws_slug)).fetchone()[0]
now = int(time.time() * 1000)
rows = []
first = c.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0] + 1
for i in range(n):
    mid = first + i
    wamid = "wamid.HBgLMTU1NTAxMDAxMDAVAgARGBI%016X" % (mid,)
    rows.append((mid, ws, "+1555%07d" % i, wamid))
c.executemany(
    "INSERT INTO messages (id, workspace_id, channel, from_address, to_address, body_text, status, "
    "attempts, attempted_at, provider_id, scheduled_at, sent_at, created_at, updated_at) "
    "VALUES (?, ?, 'whatsapp', '+15550100199', ?, 'Hello from the bench', 'sent', 1, ?, ?, ?, ?, ?, ?)",
    [(m, w, to, now, wamid, now, now, now, now) for (m, w, to, wamid) in rows])
c.executemany(
    "INSERT INTO channel_messages (message_id, workspace_id, channel, kind, template_name, "
    "language, params, category, country, provider_status, status_rank, status_at, created_at, "
    "updated_at) VALUES (?, ?, 'whatsapp', 'template', 'bench_update', 'en_US', '[]', "
    "'UTILITY', 'US', 'sent', 1, ?, ?, ?)",
    [(m, w, now, now, now) for (m, w, _, _) in rows])
c.commit()
ts = int(time.time())
with open(out, "w") as f, open(expected, "w") as e:
    for (mid, _, to, wamid) in rows:
        status = "delivered" if mid % 2 == 0 else "read"
        s = {"id": wamid, "status": status, "timestamp": str(ts), "recipient_id": to[1:],
             "biz_opaque_callback_data": str(mid),
             "conversation": {"id": "CONVERSATION_%d" % mid, "origin": {"type": "utility"}},
             "pricing": {"billable": True, "pricing_model": "PMP", "category": "utility"}}
        body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "200000000000001",
            "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550100199", "phone_number_id": "100000000000001"},
                "statuses": [s]}}]}]}, separators=(",", ":"))
        sig = "sha256=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        f.write(sig + "\t" + body + "\n")
        e.write("%d\t%s\n" % (mid, status))
PY

PORT=$(free_port)
"$BIN" serve --bind "127.0.0.1:$PORT" > "$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.05
done

mkdir -p "$WORK/done"
export WH_REQUESTS="$WORK/requests.tsv" WH_PATH="$HOOK_PATH" WH_THREADS="$THREADS" WH_DONE_DIR="$WORK/done"
# wrk sleeps for its whole -d unless interrupted: it gets SIGINT once every body was answered,
# so the duration measured is the time to answer all of them (+ at most 20 ms).
# -d caps a run in which a request never got an answer (a socket error): at least 500/s.
LIMIT=$(( N / 500 + 60 ))
t0=$(date +%s.%N)
wrk -t "$THREADS" -c "$CONC" -d "${LIMIT}s" --timeout 30s --latency -s "$HERE/requests.lua" \
  "http://127.0.0.1:$PORT" > "$WORK/wrk.out" 2>&1 &
WRK_PID=$!
# Each wrk thread leaves a marker once all its bodies were answered; then stop wrk.
while kill -0 "$WRK_PID" 2>/dev/null; do
  if [[ $(ls "$WORK/done" | wc -l) -ge $THREADS ]]; then kill -INT "$WRK_PID"; break; fi
  sleep 0.02
done
wait "$WRK_PID" || true
grep -E "Socket errors|Non-2xx" "$WORK/wrk.out" || true
t1=$(date +%s.%N)
RESULT=$(grep '^RESULT' "$WORK/wrk.out" || true)
[[ -n "$RESULT" ]] || { echo "webhooks: wrk printed no result" >&2; cat "$WORK/wrk.out" >&2; exit 1; }
get() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$RESULT"; }
STORED=$(get stored); REFUSED=$(get refused); DUR=$(get duration_us); P99=$(get p99_us)
P50=$(get p50_us); REPLAYS=$(get replays)
RATE=$(python3 -c "print(f'{$STORED/($DUR/1e6):.0f}')")
echo "accepted: $STORED of $N in $(python3 -c "print(f'{$DUR/1e6:.2f}')") s = $RATE events/s ($REFUSED refused, $REPLAYS duplicate replays at the end)"
echo "latency: p50 $(python3 -c "print(f'{$P50/1000:.1f}')") ms, p99 $(python3 -c "print(f'{$P99/1000:.1f}')") ms"

# Wait for the job: every stored event processed (or 300 s).
t2=$(date +%s.%N)
python3 - "$DB" "$N" <<'PY'
import sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db, timeout=30)
deadline = time.time() + 300
while time.time() < deadline:
    pending = c.execute("SELECT COUNT(*) FROM webhook_events WHERE provider = 'whatsapp' AND (processed_at IS NULL OR processed_at < 0)").fetchone()[0]
    if pending == 0:
        break
    time.sleep(0.1)
else:
    print(f"webhooks: {pending} events still pending after 300 s", file=sys.stderr)
PY
t3=$(date +%s.%N)
echo "processing: all applied $(python3 -c "print(f'{$t3-$t2:.1f}')") s after the last answer ($(python3 -c "print(f'{$t3-$t0:.1f}')") s from the first request)"

LOST=$(python3 - "$DB" "$WORK/expected.tsv" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
want = dict(line.rstrip("\n").split("\t") for line in open(sys.argv[2]))
got = dict((str(m), s) for m, s in c.execute(
    "SELECT message_id, provider_status FROM channel_messages WHERE channel = 'whatsapp'"))
lost = [m for m, s in want.items() if got.get(m) != s]
errors = c.execute("SELECT COUNT(*) FROM webhook_events WHERE provider = 'whatsapp' AND error IS NOT NULL").fetchone()[0]
events = c.execute("SELECT COUNT(*) FROM message_events WHERE kind IN ('delivered', 'opened')").fetchone()[0]
print(f"{len(lost)} {errors} {events} {','.join(lost[:5])}")
PY
)
read -r LOST_N ERR_N EV_N LOST_SAMPLE <<<"$LOST"
echo "applied: $((N - LOST_N)) of $N messages at their webhook's status ($ERR_N events with an error, $EV_N delivered/opened history events)"
[[ "$LOST_N" == 0 ]] || echo "lost, e.g. messages ${LOST_SAMPLE:-?}"
verdict() { if [[ "$1" == 1 ]]; then echo "met"; else echo "NOT met"; fi; }
echo "target >= 5000 events/s: $(verdict "$(python3 -c "print(int($RATE >= 5000))")") ($RATE)"
echo "target p99 < 50 ms: $(verdict "$(python3 -c "print(int($P99 < 50000))")") ($(python3 -c "print(f'{$P99/1000:.1f}')") ms)"
echo "target zero lost: $(verdict "$(python3 -c "print(int($LOST_N == 0 and $REFUSED == 0))")") ($LOST_N lost, $REFUSED refused)"
[[ "$LOST_N" == 0 && "$REFUSED" == 0 ]] || exit 1
