#!/usr/bin/env python3
"""Contacts list API latency: search + one filter, first page and a deep page.

    latency.py BASE_URL TOKEN TERM [TERM...] [--requests N] [--depth D] [--limit L]
               [--filter has_phone=true]

For each search term: GET /api/v1/contacts?q=TERM&<filter>&limit=L, N times (the first page);
then follow the cursor (`next_cursor` -> `cursor=`, or `next_before` -> `before=`) up to D pages
deep and request that page N times (the deep page). One keep-alive connection (http.client),
`Authorization: Bearer TOKEN`, a few warm-up requests per query that are not counted. A timed
series stops early (after at least 20 requests) when it has taken --budget seconds, and the
walk to the deep page after 3x that, so a slow server cannot stall the run. Prints
p50/p99 per query and over all queries, and a JSON line with every figure on stdout.
"""

import argparse
import http.client
import json
import socket
import sys
import time
import urllib.parse


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = max(0, min(len(xs) - 1, int(round(p / 100 * len(xs) + 0.5)) - 1))
    return xs[k]


class Client:
    def __init__(self, base, token):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.conn = self.connect()

    def connect(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def get(self, path):
        """Returns (seconds, parsed JSON body)."""
        for attempt in (0, 1):
            try:
                t0 = time.perf_counter()
                self.conn.request("GET", path, headers=self.headers)
                resp = self.conn.getresponse()
                body = resp.read()
                dt = time.perf_counter() - t0
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = self.connect()
        if resp.status != 200:
            sys.exit(f"GET {path}: HTTP {resp.status}: {body[:300]!r}")
        return dt, json.loads(body)


def next_param(page):
    if page.get("next_cursor"):
        return "cursor", str(page["next_cursor"])
    if page.get("next_before") is not None:
        return "before", str(page["next_before"])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("token")
    ap.add_argument("terms", nargs="+")
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--depth", type=int, default=200)
    ap.add_argument("--limit", type=int, default=50)
    ap.add_argument("--filter", default="has_phone=true")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds per timed series; a slow server gets fewer requests")
    a = ap.parse_args()
    c = Client(a.base, a.token)

    def path(term, extra=None):
        q = [("q", term)] + [tuple(kv.split("=", 1)) for kv in a.filter.split("&") if kv]
        q.append(("limit", str(a.limit)))
        if extra:
            q.append(extra)
        return "/api/v1/contacts?" + urllib.parse.urlencode(q)

    def timed(p):
        for _ in range(a.warmup):
            c.get(p)
        out, t0 = [], time.monotonic()
        while len(out) < a.requests and (len(out) < 20 or time.monotonic() - t0 < a.budget):
            out.append(c.get(p)[0] * 1000)
        return out

    report = {"queries": [], "requests_per_query": a.requests, "limit": a.limit,
              "filter": a.filter}
    all_first, all_deep = [], []
    for term in a.terms:
        first_path = path(term)
        _, page = c.get(first_path)
        rows_first = len(page.get("data", []))
        first = timed(first_path)
        all_first += first
        # Walk to the deep page.
        depth, deep_path, walk = 1, first_path, []
        cur, t0 = page, time.monotonic()
        while depth < a.depth and time.monotonic() - t0 < 3 * a.budget:
            nxt = next_param(cur)
            if nxt is None:
                break
            deep_path = path(term, nxt)
            dt, cur = c.get(deep_path)
            walk.append(dt * 1000)
            depth += 1
        deep = timed(deep_path) if depth > 1 else []
        all_deep += deep
        q = {"q": term, "first_rows": rows_first, "first_n": len(first), "deep_n": len(deep),
             "first_p50_ms": round(pct(first, 50), 2), "first_p99_ms": round(pct(first, 99), 2),
             "deep_page": depth, "deep_rows": len(cur.get("data", [])),
             "walk_p50_ms": round(pct(walk, 50), 2) if walk else None}
        if deep:
            q.update(deep_p50_ms=round(pct(deep, 50), 2), deep_p99_ms=round(pct(deep, 99), 2))
        report["queries"].append(q)
        deep_txt = (f"deep page {depth} ({q['deep_rows']} rows, {len(deep)} requests) p50 "
                    f"{q['deep_p50_ms']:.1f} ms, p99 {q['deep_p99_ms']:.1f} ms"
                    if deep else "no second page")
        print(f"api: q={term!r} {a.filter}: first page ({rows_first} rows, {len(first)} requests) "
              f"p50 {q['first_p50_ms']:.1f} ms, p99 {q['first_p99_ms']:.1f} ms; {deep_txt}",
              file=sys.stderr)
    report.update(first_p50_ms=round(pct(all_first, 50), 2),
                  first_p99_ms=round(pct(all_first, 99), 2),
                  deep_p50_ms=round(pct(all_deep, 50), 2) if all_deep else None,
                  deep_p99_ms=round(pct(all_deep, 99), 2) if all_deep else None)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
