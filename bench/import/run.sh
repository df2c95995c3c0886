#!/usr/bin/env bash
# CSV import benchmark: 1,000,000 generated prospect rows (10 columns, mixed phone formats,
# ~10% duplicates, ~2% bad rows) imported by `prospector import` into SQLite and into
# PostgreSQL, beside a Python baseline doing the same work (csv + phonenumbers + sqlite3
# executemany). Prints rows/s, peak RSS and the ratio, then the contacts list API latency
# (search + one filter, first page and a deep page) on the 1M-contact SQLite database.
#
# Usage: bench/import/run.sh PATH_TO_PROSPECTOR [ROWS]
# Env:   BENCH_IMPORT_CSV=path to an existing CSV to use instead of generating one
#        BENCH_IMPORT_SKIP=comma list of parts to skip: sqlite,postgres,baseline,api
#        BENCH_API_REQUESTS (300), BENCH_API_DEPTH (200), BENCH_API_BUDGET (60 s per series)
set -euo pipefail

BIN=${1:?usage: run.sh PATH_TO_PROSPECTOR [ROWS]}
ROWS=${2:-1000000}
SEED=42
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
CACHE="${CARGO_TARGET_DIR:-$HOME/.cache/prospector/target}/bench/import"
SKIP=",${BENCH_IMPORT_SKIP:-},"
REQUESTS=${BENCH_API_REQUESTS:-300}
DEPTH=${BENCH_API_DEPTH:-200}
BUDGET=${BENCH_API_BUDGET:-60}
WORK=$(mktemp -d /tmp/prospector-bench-import.XXXXXX)
SECRET=$(printf '07%.0s' {1..32})
PG_STOP=""
SERVER_PID=""
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  [[ -n "$PG_STOP" ]] && eval "$PG_STOP" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
skipped() { [[ "$SKIP" == *",$1,"* ]]; }
is_root() { [[ "$(id -u)" = 0 ]]; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
apt_install() {
  if is_root && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 || true
  fi
}

# --- tools -------------------------------------------------------------------------------
[[ -x /usr/bin/time ]] || apt_install time
[[ -x /usr/bin/time ]] || { echo "import: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
python3 -c 'import phonenumbers' 2>/dev/null \
  || python3 -m pip install --quiet phonenumbers >/dev/null 2>&1 \
  || python3 -m pip install --quiet --break-system-packages phonenumbers >/dev/null 2>&1 || true
python3 -c 'import phonenumbers' 2>/dev/null \
  || { echo "import: the baseline needs the phonenumbers package (pip install phonenumbers)" >&2; exit 1; }

# --- the file ----------------------------------------------------------------------------
if [[ -n "${BENCH_IMPORT_CSV:-}" ]]; then
  CSV=$BENCH_IMPORT_CSV
else
  mkdir -p "$CACHE"
  CSV="$CACHE/prospects-$ROWS-seed$SEED.csv"
  if [[ ! -s "$CSV" || "$HERE/gen.py" -nt "$CSV" ]]; then
    echo "import: generating $ROWS rows into $CSV" >&2
    python3 "$HERE/gen.py" "$ROWS" "$CSV.tmp" --seed "$SEED" 2>"$WORK/gen.log" \
      || { cat "$WORK/gen.log" >&2; exit 1; }
    mv "$CSV.tmp" "$CSV"
    cat "$WORK/gen.log" >&2
  fi
fi
DATA_ROWS=$(($(wc -l <"$CSV") - 1))

# measure OUT ERR CMD... -> prints "seconds peak_rss_kb" (wall clock; /usr/bin/time -v)
measure() {
  local out=$1 err=$2; shift 2
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$WORK/time.txt" "$@" >"$out" 2>"$err"
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc -l) $(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")"
}
# last line of a file that parses as a JSON object -> "rows created updated duplicates errors"
summary() {
  python3 - "$1" <<'PY'
import json, sys
last = None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    line = line.strip()
    if line.startswith("{"):
        try:
            last = json.loads(line)
        except ValueError:
            pass
if last is None:
    sys.exit("no JSON summary in " + sys.argv[1])
print(*(int(last.get(k) or 0) for k in ("rows", "created", "updated", "duplicates", "errors")))
PY
}
mb() { echo "$1 / 1024" | bc -l; }

# the environment of prospector with a data dir and a database: ENV=(...) from DIR URL|""
pros_env() {
  if [[ -n "$2" ]]; then
    ENV=(env DATABASE_URL="$2" PROSPECTOR_DATA_DIR="$1" PROSPECTOR_SECRET_KEY="$SECRET")
  else
    ENV=(env -u DATABASE_URL PROSPECTOR_DATA_DIR="$1" PROSPECTOR_SECRET_KEY="$SECRET")
  fi
}
# prospector with a data dir and a database: pros DATA_DIR DATABASE_URL|"" ARGS...
pros() {
  local ENV
  pros_env "$1" "$2"
  shift 2
  "${ENV[@]}" "$BIN" "$@"
}
# setup DATA_DIR URL -> prints the workspace slug
setup() {
  pros "$1" "$2" migrate >"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; return 1; }
  echo pw-bench-123456 | pros "$1" "$2" user create --email bench@example.com --password-stdin \
    >>"$WORK/setup.log" 2>&1 || { cat "$WORK/setup.log" >&2; return 1; }
  pros "$1" "$2" workspace create --name Bench --owner bench@example.com 2>>"$WORK/setup.log" | tail -n1
}

HAS_IMPORT=1
if ! "$BIN" import --help >/dev/null 2>&1; then
  HAS_IMPORT=0
  echo "import: $BIN has no 'import' command; measuring the baseline only" >&2
fi

# run_import NAME DATA_DIR URL -> sets R_SEC R_RSS R_ROWS and prints the result line
run_import() {
  local name=$1 dir=$2 url=$3 slug
  slug=$(setup "$dir" "$url")
  [[ -n "$slug" ]] || { echo "import: $name: workspace create printed no slug" >&2; return 1; }
  SLUG=$slug
  local ENV
  pros_env "$dir" "$url"
  if ! read -r R_SEC R_RSS < <(measure "$WORK/$name.out" "$WORK/$name.err" \
    "${ENV[@]}" "$BIN" import "$CSV" --workspace "$slug" --json); then
    echo "import: prospector $name failed" >&2
  fi
  if ! grep -q '^{' "$WORK/$name.out"; then
    echo "import: prospector $name printed no JSON summary; stderr tail:" >&2
    tail -n 20 "$WORK/$name.err" >&2
    return 1
  fi
  read -r R_ROWS R_CREATED R_UPDATED R_DUPS R_ERRORS < <(summary "$WORK/$name.out")
  printf 'import: prospector %s %d rows in %.2fs = %.0f rows/s, peak RSS %.1f MB (created %d, updated %d, duplicates %d, errors %d)\n' \
    "$name" "$R_ROWS" "$R_SEC" "$(echo "$R_ROWS / $R_SEC" | bc -l)" "$(mb "$R_RSS")" \
    "$R_CREATED" "$R_UPDATED" "$R_DUPS" "$R_ERRORS"
}

echo "import: file $CSV ($DATA_ROWS data rows, $(du -m "$CSV" | cut -f1) MB), $(nproc) cores" >&2

# --- prospector on SQLite ----------------------------------------------------------------
S_RATE=""
S_RSS=""
SQLITE_DIR="$WORK/sqlite"
if [[ $HAS_IMPORT = 1 ]] && ! skipped sqlite; then
  mkdir -p "$SQLITE_DIR"
  if run_import sqlite "$SQLITE_DIR" ""; then
    S_RATE=$(echo "$R_ROWS / $R_SEC" | bc -l)
    S_RSS=$R_RSS
    S_CREATED=$R_CREATED
    SQLITE_SLUG=$SLUG
  fi
fi

# --- prospector on PostgreSQL ------------------------------------------------------------
pg_bin() {
  for d in /usr/lib/postgresql/*/bin; do [[ -x "$d/initdb" ]] && { echo "$d"; return; }; done
  command -v initdb >/dev/null && dirname "$(command -v initdb)"
}
if [[ $HAS_IMPORT = 1 ]] && ! skipped postgres; then
  PGBIN=$(pg_bin || true)
  [[ -n "$PGBIN" ]] || { apt_install postgresql; PGBIN=$(pg_bin || true); }
  if [[ -z "$PGBIN" ]]; then
    echo "import: PostgreSQL (initdb) not found; skipping the postgres run" >&2
  else
    PGTMP="$WORK/pg"
    mkdir -p "$PGTMP"
    PGPORT=$(free_port)
    run_pg() { "$@"; }
    if is_root; then
      id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
      chown postgres "$PGTMP"
      chmod 755 "$WORK"
      run_pg() { runuser -u postgres -- "$@"; }
    fi
    run_pg "$PGBIN/initdb" -D "$PGTMP/data" -A trust -U postgres >"$WORK/initdb.log" 2>&1 \
      || { cat "$WORK/initdb.log" >&2; exit 1; }
    PG_STOP="run_pg '$PGBIN/pg_ctl' -D '$PGTMP/data' -m immediate stop"
    run_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/log" -w \
      -o "-p $PGPORT -k $PGTMP -c listen_addresses=127.0.0.1 -c max_connections=100 -c fsync=off" \
      start >/dev/null
    run_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres bench
    mkdir -p "$WORK/pgdata"
    run_import postgres "$WORK/pgdata" "postgres://postgres@127.0.0.1:$PGPORT/bench" || true
    eval "$PG_STOP" >/dev/null 2>&1 || true
    PG_STOP=""
  fi
fi

# --- the Python baseline -----------------------------------------------------------------
B_RATE=""
if ! skipped baseline; then
  read -r B_SEC B_RSS < <(measure "$WORK/baseline.out" "$WORK/baseline.err" \
    python3 "$HERE/baseline.py" "$CSV" "$WORK/baseline.db") || true
  if [[ -n "${B_SEC:-}" ]] && read -r B_ROWS B_CREATED _ B_DUPS B_ERRORS < <(summary "$WORK/baseline.out"); then
    B_RATE=$(echo "$B_ROWS / $B_SEC" | bc -l)
    printf 'import: baseline (python csv+phonenumbers+sqlite3) %d rows in %.2fs = %.0f rows/s, peak RSS %.1f MB (created %d, duplicates %d, errors %d)\n' \
      "$B_ROWS" "$B_SEC" "$B_RATE" "$(mb "$B_RSS")" "$B_CREATED" "$B_DUPS" "$B_ERRORS"
  else
    echo "import: baseline failed:" >&2
    tail -n 20 "$WORK/baseline.err" >&2
  fi
  rm -f "$WORK"/baseline.db*
fi

if [[ -n "$S_RATE" && -n "$B_RATE" ]]; then
  printf 'import: ratio sqlite/baseline %.1fx (target >= 5x), RSS target < 300 MB, rows/s target >= 100000\n' \
    "$(echo "$S_RATE / $B_RATE" | bc -l)"
fi

# --- contacts list API at 1M contacts (the SQLite database above) --------------------------
if [[ -n "$S_RATE" ]] && ! skipped api; then
  # Search terms from the file: the commonest city, first-name prefix and e-mail domain.
  mapfile -t TERMS < <(python3 - "$CSV" <<'PY'
import collections, csv, itertools, sys
city, prefix, domain = collections.Counter(), collections.Counter(), collections.Counter()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for rec in itertools.islice(csv.DictReader(f), 200_000):
        if rec["City"]:
            city[rec["City"]] += 1
        if len(rec["First Name"]) >= 3:
            prefix[rec["First Name"][:3].lower()] += 1
        if "@" in rec["E-mail"]:
            domain[rec["E-mail"].strip().lower().rsplit("@", 1)[1]] += 1
for c in (city, prefix, domain):
    print(c.most_common(1)[0][0])
PY
)
  TOKEN=$(pros "$SQLITE_DIR" "" token create --workspace "$SQLITE_SLUG" --email bench@example.com \
    --name bench 2>>"$WORK/setup.log" | tail -n1)
  PORT=$(free_port)
  env -u DATABASE_URL PROSPECTOR_DATA_DIR="$SQLITE_DIR" PROSPECTOR_SECRET_KEY="$SECRET" \
    "$BIN" serve --no-worker --bind "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
  SERVER_PID=$!
  if python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
PY
  then
    echo "import: API on the SQLite database ($S_CREATED rows created), terms: ${TERMS[*]}" >&2
    if python3 "$HERE/latency.py" "http://127.0.0.1:$PORT" "$TOKEN" "${TERMS[@]}" \
      --requests "$REQUESTS" --depth "$DEPTH" --budget "$BUDGET" >"$WORK/latency.json" 2>"$WORK/latency.err"; then
      sed 's/^/import: /; s/^import: api:/api:/' "$WORK/latency.err"
      python3 - "$WORK/latency.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
deep = max((q["deep_page"] for q in r["queries"]), default=0)
d50 = f"{r['deep_p50_ms']:.1f}" if r["deep_p50_ms"] is not None else "n/a"
d99 = f"{r['deep_p99_ms']:.1f}" if r["deep_p99_ms"] is not None else "n/a"
print(f"api: contacts list ({r['filter']}, limit {r['limit']}, up to {r['requests_per_query']}"
      f" requests per series): first page p50 {r['first_p50_ms']:.1f} ms, p99 {r['first_p99_ms']:.1f} ms;"
      f" deep page (up to page {deep}) p50 {d50} ms, p99 {d99} ms; target p99 < 50 ms")
PY
    else
      echo "api: latency run failed:" >&2
      cat "$WORK/latency.err" >&2
    fi
  else
    echo "api: server did not answer /healthz; log tail:" >&2
    tail -n 20 "$WORK/serve.log" >&2
  fi
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
fi
