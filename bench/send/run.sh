#!/usr/bin/env bash
# Email send benchmark: N personalised messages (default 100,000) planned, rendered, stored
# and sent by `prospector campaign run` through the outbox to a local postfix smtp-sink, with
# every status update persisted (SQLite); in the same run, postfix's smtp-source sends the
# same count to the same sink with the same parallelism. Prints messages/s for both and the
# ratio (target: at least 0.5).
#
# Usage: bench/send/run.sh PATH_TO_PROSPECTOR [MESSAGES] [PARALLEL]
set -euo pipefail

BIN=${1:?usage: run.sh PATH_TO_PROSPECTOR [MESSAGES] [PARALLEL]}
N=${2:-100000}
PAR=${3:-4}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
WORK=$(mktemp -d /tmp/prospector-bench-send.XXXXXX)
SINK_PID=""
cleanup() {
  [[ -n "$SINK_PID" ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  [[ -n "${KEEP:-}" ]] || rm -rf "$WORK"
}
trap cleanup EXIT
is_root() { [[ "$(id -u)" = 0 ]]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [[ ! -x /usr/sbin/smtp-sink || ! -x /usr/sbin/smtp-source ]]; then
  if is_root && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null 2>&1 || true
  fi
fi
[[ -x /usr/sbin/smtp-sink && -x /usr/sbin/smtp-source ]] || { echo "send: postfix smtp-sink/smtp-source missing" >&2; exit 1; }

export PROSPECTOR_DATA_DIR="$WORK/data" PROSPECTOR_SECRET_KEY=$(printf '07%.0s' {1..32}) PROSPECTOR_LOG=warn
unset DATABASE_URL
P() { "$BIN" "$@"; }

echo "== send: $N messages, $PAR connections, SQLite"
python3 - "$N" > "$WORK/contacts.csv" <<'PY'
import sys
n = int(sys.argv[1])
print("first_name,last_name,email,company,website,city")
names = ["Ana", "Bruno", "Chloé", "Dmitri", "Eva", "Farid", "Greta", "Hugo"]
for i in range(n):
    print(f"{names[i % 8]},Owner{i},owner{i}@shop{i}.example,Shop {i},shop{i}.example,Berlin")
PY
P migrate >/dev/null 2>&1
echo "a long enough password" | P user create --email bench@example.com --password-stdin >/dev/null
WS=$(P workspace create --name "Bench Agency" --owner bench@example.com)
P import "$WORK/contacts.csv" --workspace "$WS" --json >/dev/null

SINK_PORT=$(free_port)
USER_ARG=()
if is_root; then USER_ARG=(-u root); fi
/usr/sbin/smtp-sink "${USER_ARG[@]}" -m 256 "127.0.0.1:$SINK_PORT" 1024 &
SINK_PID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null && break; sleep 0.05; done

P sender add --workspace "$WS" --name bench --from sales@agency.example \
  --smtp-url "smtp://127.0.0.1:$SINK_PORT?tls=none&pool=$PAR" --daily-limit 100000 >/dev/null 2>&1
cat > "$WORK/campaign.json" <<JSON
{"name":"Bench","senders":["bench"],"schedule":{"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],"start":"00:00","end":"23:59"},"steps":[{"channel":"email","delay_days":0,"subject":"{Hi|Hello} {{first_name|there}}, a question about {{company.name}}","body":"Dear {{first_name}} {{last_name}},\n\nI came across {{company.name}} in {{company.city|your city}} and had an idea for {{company.website|your website}}.\n\nWould a short call next week work?"}],"stop_on":["reply","bounce","unsubscribe"],"track_opens":false,"track_clicks":false,"min_gap_seconds":0}
JSON
CID=$(P campaign create --workspace "$WS" --file "$WORK/campaign.json")
P campaign enroll "$CID" --workspace "$WS" --all >/dev/null
P campaign start "$CID" --workspace "$WS" 2>/dev/null

t0=$(date +%s.%N)
P campaign run --workspace "$WS" --id "$CID" > "$WORK/status.json" 2> "$WORK/run.log"
t1=$(date +%s.%N)
SENT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"].get("sent",0))' "$WORK/status.json")
OURS=$(python3 -c "print(f'{$SENT/($t1-$t0):.0f}')")
echo "prospector: $SENT of $N sent in $(python3 -c "print(f'{$t1-$t0:.1f}')") s (plan + render + store + send + status) = $OURS messages/s"
[[ "$SENT" == "$N" ]] || { echo "send: only $SENT of $N were sent" >&2; tail -5 "$WORK/run.log" >&2; exit 1; }

t0=$(date +%s.%N)
/usr/sbin/smtp-source -d -s "$PAR" -m "$N" -l 600 -f sales@agency.example -t owner@shop.example "127.0.0.1:$SINK_PORT"
t1=$(date +%s.%N)
BASE=$(python3 -c "print(f'{$N/($t1-$t0):.0f}')")
echo "smtp-source: $N sent in $(python3 -c "print(f'{$t1-$t0:.1f}')") s = $BASE messages/s (same sink, $PAR sessions, kept open)"
python3 -c "r=$OURS/$BASE; print(f'ratio prospector / smtp-source = {r:.2f} (target >= 0.50: {\"met\" if r >= 0.5 else \"NOT met\"})')"
