#!/usr/bin/env python3
"""Baseline crawler for `scripts/bench scan`: the same fetch-and-regex work as the scanner,
in plain Python. Per site: robots.txt, the home page, then up to 5 linked pages whose URL or
text looks like contact/imprint/about/team/locations; emails and phones found by regex.
Uses aiohttp when installed, else a minimal asyncio HTTP/1.1 client.

Usage: baseline.py URLS_FILE CONCURRENCY  -> prints one JSON line per site, then a summary
line on stderr: `pages N seconds S`.
"""
import asyncio
import json
import re
import sys
import time
from urllib.parse import urljoin, urlsplit

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?:\+|\b0)\d[\d \-/().]{6,18}\d")
OBF = re.compile(r"\s*\[\s*at\s*\]\s*", re.I)
OBF_DOT = re.compile(r"\s*\[\s*dot\s*\]\s*", re.I)
LINK = re.compile(r"<a\s[^>]*href=[\"']([^\"'#]+)[\"'][^>]*>(.*?)</a>", re.I | re.S)
KEYWORDS = ("contact", "kontakt", "impressum", "imprint", "legal", "about", "ueber-uns",
            "uber-uns", "team", "standorte", "locations", "contacto", "contatti", "a-propos")
MAX_BODY = 2 * 1024 * 1024

try:
    import aiohttp  # type: ignore
except Exception:  # pragma: no cover - fallback path
    aiohttp = None


class RawClient:
    """Tiny HTTP/1.1 GET over asyncio streams (Connection: close), loopback only."""

    async def get(self, url):
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or 80
        connect_host = "127.0.0.1" if host.endswith("localhost") else host
        reader, writer = await asyncio.open_connection(connect_host, port)
        path = parts.path or "/"
        req = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: baseline\r\nConnection: close\r\n\r\n"
        writer.write(req.encode())
        await writer.drain()
        data = await reader.read(MAX_BODY + 65536)
        buf = [data]
        while data:
            data = await reader.read(65536)
            buf.append(data)
        writer.close()
        raw = b"".join(buf)
        head, _, body = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head else 0
        if b"transfer-encoding: chunked" in head.lower():
            body = dechunk(body)
        return status, body[:MAX_BODY].decode("utf-8", "replace")


def dechunk(b):
    out, i = [], 0
    while i < len(b):
        j = b.find(b"\r\n", i)
        if j < 0:
            break
        size = int(b[i:j].split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(b[j + 2:j + 2 + size])
        i = j + 2 + size + 2
    return b"".join(out)


class AioClient:
    def __init__(self, session):
        self.session = session

    async def get(self, url):
        async with self.session.get(url) as r:
            body = await r.content.read(MAX_BODY)
            return r.status, body.decode("utf-8", "replace")


async def crawl(client, url, counter):
    out = {"url": url, "emails": set(), "phones": set(), "error": None}
    try:
        await client.get(urljoin(url, "/robots.txt"))
        status, html = await client.get(url)
        counter[0] += 1
        pages = [html]
        links = []
        for href, text in LINK.findall(html):
            u = urljoin(url, href)
            if urlsplit(u).netloc != urlsplit(url).netloc:
                continue
            if any(k in (u + text).lower() for k in KEYWORDS) and u not in links:
                links.append(u)
        for u in links[:5]:
            s, h = await client.get(u)
            counter[0] += 1
            if s < 400:
                pages.append(h)
        for h in pages:
            text = OBF_DOT.sub(".", OBF.sub("@", h))
            out["emails"].update(EMAIL.findall(text))
            out["phones"].update(PHONE.findall(h))
    except Exception as e:  # noqa: BLE001 - a baseline records and moves on
        out["error"] = str(e)
    out["emails"] = sorted(out["emails"])
    out["phones"] = sorted(out["phones"])
    return out


async def main(path, concurrency):
    urls = [l.strip() for l in open(path) if l.strip()]
    counter = [0]
    sem = asyncio.Semaphore(concurrency)
    started = time.monotonic()

    async def one(client, u):
        async with sem:
            r = await crawl(client, u, counter)
            sys.stdout.write(json.dumps(r) + "\n")

    if aiohttp is not None:
        # Names like s0001.localhost resolve to loopback (RFC 6761) as in the scanner.
        class Loopback(aiohttp.abc.AbstractResolver):
            async def resolve(self, host, port=0, family=0):
                return [{"hostname": host, "host": "127.0.0.1", "port": port, "family": 2, "proto": 0, "flags": 0}]

            async def close(self):
                pass

        conn = aiohttp.TCPConnector(limit=concurrency, resolver=Loopback())
        async with aiohttp.ClientSession(connector=conn, timeout=aiohttp.ClientTimeout(total=30)) as session:
            client = AioClient(session)
            await asyncio.gather(*(one(client, u) for u in urls))
    else:
        client = RawClient()
        await asyncio.gather(*(one(client, u) for u in urls))
    elapsed = time.monotonic() - started
    sys.stderr.write(f"pages {counter[0]} seconds {elapsed:.3f} client {'aiohttp' if aiohttp else 'asyncio'}\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 64))
