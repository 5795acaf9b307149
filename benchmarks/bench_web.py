"""Load on ``techties serve`` over loopback: 50 concurrent clients send 5,000 requests spread over
every page (claims, a claim, its JSON, indicators, tariffs, entities, scenarios, sources) while
one client that sent half a request line stays stalled the whole time.

Target: 0 errors; p95 under 100 ms on cached pages (each URL is requested once before the clock
starts, so the run measures the cached path). Peer: the same server's 404 page (routing, error
shape and template, no data), measured in the same run; the ratio p95(pages) / p95(404) says
how much the data pages cost above the framework's floor.

The default load generator is bare asyncio keep-alive streams (gzip accepted, as a browser
sends); ``--client httpx`` uses httpx, whose pure-Python HTTP parsing costs more CPU per request
than the server's kept answer and, on two cores, takes it from the server.

    .venv/bin/python benchmarks/bench_web.py --store PATH [--workers 2] [--client httpx]

The store must be a built one (``techties report --data DIR``); it is only read. Stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import time
from typing import Any

import httpx

from techties.web.launch import start_server, stop_server

PAGES = [
    "/", "/claims?status=mixed", "/claims.json", "/claims/1", "/claims/13", "/claims/13.json",
    "/indicators?indicator=share&product=85&years=2017-2021",
    "/indicators.json?indicator=concentration&product=85&years=2017-2021",
    "/tariffs?code=847150&on=2020-01-01&direction=us-on-china",
    "/tariffs.json?code=854231&on=2019-06-01&direction=china-on-us",
    "/entities?q=huawei", "/entities.json?q=sugon&country=CHN", "/scenarios", "/scenarios.json",
    "/sources", "/sources.json",
]  # fmt: skip
CLIENTS = 50
REQUESTS = 5_000


async def _load_httpx(url: str, paths: list[str], n: int, ok: set[int]) -> tuple[list[float], int]:
    """``n`` requests over ``paths`` from CLIENTS concurrent httpx clients: latencies, errors."""
    times: list[float] = []
    errors = 0
    todo = iter(range(n))
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            for i in todo:
                start = time.perf_counter()
                try:
                    status = (await client.get(paths[i % len(paths)])).status_code
                except httpx.HTTPError:
                    status = 0
                times.append(time.perf_counter() - start)
                errors += status not in ok

        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return times, errors


async def _get(conn: list[Any], host: str, port: int, path: str) -> int:
    """One keep-alive ``GET`` on ``conn`` ([reader, writer], opened when empty) as a browser
    sends it (gzip accepted); the status once the whole body (Content-Length) is read."""
    if not conn:
        conn[:] = await asyncio.open_connection(host, port)
    reader, writer = conn
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    await reader.readexactly(int(fields.get("content-length", "0")))
    if fields.get("connection") == "close":
        writer.close()
        conn.clear()
    return int(lines[0].split()[1])


async def _load_raw(url: str, paths: list[str], n: int, ok: set[int]) -> tuple[list[float], int]:
    """The same load from CLIENTS keep-alive connections of bare asyncio streams: httpx parses
    HTTP in Python (h11) at a cost per request above the server's cached path, and on two
    cores that CPU is taken from the server; this client measures the server instead."""
    host, port = url.removeprefix("http://").split(":")
    times: list[float] = []
    errors = 0
    todo = iter(range(n))

    async def worker() -> None:
        nonlocal errors
        conn: list[Any] = []
        for i in todo:
            start = time.perf_counter()
            try:
                status = await asyncio.wait_for(
                    _get(conn, host, int(port), paths[i % len(paths)]), 30
                )
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
                status, conn = 0, []
            times.append(time.perf_counter() - start)
            errors += status not in ok
        if conn:
            conn[1].close()

    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return times, errors


def _pct(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100)[int(q) - 1] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=os.environ.get("TECHTIES_STORE"), required=False)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--client", choices=("raw", "httpx"), default="raw",
        help="load generator: bare asyncio streams (default) or httpx",
    )  # fmt: skip
    args = ap.parse_args()
    if not args.store:
        raise SystemExit("Pass --store PATH (a built store) or set TECHTIES_STORE.")
    load = _load_raw if args.client == "raw" else _load_httpx
    proc, url = start_server(args.store, workers=args.workers, timeout=300)
    stalled = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
    try:
        stalled.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n")  # never finished
        with httpx.Client(base_url=url, timeout=300) as client:  # every page computed once
            for p in PAGES:
                client.get(p)
        asyncio.run(load(url, PAGES, 20 * len(PAGES), {200}))  # ... and kept by every worker
        start = time.perf_counter()
        times, errors = asyncio.run(load(url, PAGES, REQUESTS, {200}))
        took = time.perf_counter() - start
        floor, floor_errors = asyncio.run(load(url, ["/nowhere"], 1_000, {404}))
        alive = stalled.fileno() != -1
    finally:
        stalled.close()
        stop_server(proc)
    p50, p95, p99 = (_pct(times, q) for q in (50, 95, 99))
    print(f"techties serve --workers {args.workers}: {REQUESTS:,} requests over {len(PAGES)} "
          f"pages, {CLIENTS} {args.client} clients, 1 stalled client held open ({alive=})")  # fmt: skip
    print(
        f"  errors {errors}   {REQUESTS / took:,.0f} req/s   "
        f"p50 {p50:.1f} ms   p95 {p95:.1f} ms   p99 {p99:.1f} ms"
    )
    f95 = _pct(floor, 95)
    print(
        f"  peer (404 page, 1,000 requests): errors {floor_errors}   p50 {_pct(floor, 50):.1f} ms"
        f"   p95 {f95:.1f} ms"
    )
    print(
        f"  ratio p95 pages / p95 404: {p95 / f95:.2f}   target p95 < 100 ms: "
        f"{'met' if p95 < 100 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
