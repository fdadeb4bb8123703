"""Issue 15 figures: `/health` while hostile clients hold the server (2,000 idle connections, 50
bodies trickled a byte at a time, a 1 GB chunked upload without a key), beside the same figure
on a quiet server, and how much the server's memory grows meanwhile. Default settings, one
server worker, as `sellerkit serve` starts."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import shutil
import socket
import time
from pathlib import Path

from bench.common import DATA, env_for, have_wrk, report, server_process, wrk

IDLE, TRICKLING, UPLOAD_BYTES = 2_000, 50, 1_000_000_000
SECONDS = 15


def _rss_mib(pid: int) -> float:
    """Resident memory of the server: its main process and every worker."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
        except OSError:
            pass
    return total / 1024


async def _idle(port: int, stats: dict, stop: asyncio.Event) -> None:
    """A connection that sends nothing; opened again whenever the server closes it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            stats["refused"] += 1
            await asyncio.sleep(0.5)
            continue
        stats["idle_opened"] += 1
        try:
            await asyncio.wait_for(reader.read(), timeout=SECONDS * 4)
            stats["idle_closed_by_server"] += 1
        except (OSError, asyncio.TimeoutError):
            pass
        writer.close()


async def _trickle(port: int, stats: dict, stop: asyncio.Event) -> None:
    """A body sent one byte a second; sent again whenever the server cuts it off."""
    head = (b"POST /api/v3/convert HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000\r\n\r\n")
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(head)
            answer = asyncio.ensure_future(reader.read())
            while not answer.done() and not stop.is_set():
                writer.write(b" ")
                await asyncio.wait({answer}, timeout=1)
            if answer.done() and not answer.exception():
                status = answer.result()[9:12].decode() or "closed"
                stats[f"trickle_{status}"] = stats.get(f"trickle_{status}", 0) + 1
            writer.close()
        except OSError:
            await asyncio.sleep(0.5)


async def _upload(port: int, stats: dict, stop: asyncio.Event) -> None:
    """A chunked upload without a key, 1 GB offered as fast as the server takes it."""
    block = b"%x\r\n" % 65536 + b"0" * 65536 + b"\r\n"
    head = (b"POST /api/v3/scans HTTP/1.1\r\nHost: bench\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=bench\r\n\r\n")
    while not stop.is_set() and stats["upload_sent"] < UPLOAD_BYTES:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            stats["uploads"] += 1
            writer.write(head)
            try:
                while not stop.is_set() and stats["upload_sent"] < UPLOAD_BYTES:
                    writer.write(block)
                    await writer.drain()
                    stats["upload_sent"] += 65536
            except OSError:  # the server answered and closed
                pass
            try:
                status = (await asyncio.wait_for(reader.read(12), 2))[9:12].decode() or "closed"
            except (OSError, asyncio.TimeoutError):
                # asyncio raises the reset before handing over the reply already received
                status = "reset while sending"
            stats[f"upload_{status}"] = stats.get(f"upload_{status}", 0) + 1
            writer.close()
        except OSError:
            await asyncio.sleep(0.05)


def _load(port: int, seconds: float, out) -> None:
    """The hostile clients, in their own process (they would slow the measuring one)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stats = {"refused": 0, "idle_opened": 0, "idle_closed_by_server": 0, "uploads": 0, "upload_sent": 0}

    async def main():
        stop = asyncio.Event()
        tasks = [asyncio.ensure_future(_idle(port, stats, stop)) for _ in range(IDLE)]
        tasks += [asyncio.ensure_future(_trickle(port, stats, stop)) for _ in range(TRICKLING)]
        tasks.append(asyncio.ensure_future(_upload(port, stats, stop)))
        await asyncio.sleep(seconds)
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    out.put(stats)


def _health_script() -> Path:
    script = DATA / "health.lua"
    script.write_text("request = function()\n  return wrk.format('GET', '/health')\nend\n")
    return script


def _fresh_connection_ms(port: int, n: int = 200) -> list[float]:
    """`GET /health` on a new connection each time: one the server must accept beside the rest."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            while s.recv(65536):
                pass
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(0.02)
    return sorted(times)


def bench_hostile() -> None:
    name = "GET /health under hostile load"
    if not have_wrk():
        report(name, "SKIPPED: wrk not installed", "", "apt-get install wrk")
        return
    data_dir = DATA / "hostile"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = env_for(data_dir)
    script = _health_script()
    with server_process(env, settle=1) as (base, proc):
        port = int(base.rsplit(":", 1)[1])
        wrk(base, script, connections=4, seconds=3)  # warm-up
        quiet = wrk(base, script, connections=4, seconds=10)
        quiet_fresh = _fresh_connection_ms(port)
        rss_before = _rss_mib(proc.pid)

        out = multiprocessing.get_context("fork").Queue()
        load = multiprocessing.get_context("fork").Process(target=_load, args=(port, SECONDS + 12, out))
        load.start()
        time.sleep(5)  # the idle connections and trickles are open, the upload is running
        rss_peak = rss_before
        hostile = wrk(base, script, connections=4, seconds=SECONDS // 2)
        rss_peak = max(rss_peak, _rss_mib(proc.pid))
        hostile_fresh = _fresh_connection_ms(port)
        rss_peak = max(rss_peak, _rss_mib(proc.pid))
        stats = out.get(timeout=SECONDS * 6)
        load.join()
        rss_peak = max(rss_peak, _rss_mib(proc.pid))

    def p99(times):
        return times[int(len(times) * 0.99) - 1]

    load_said = (f"{IDLE:,} idle connections, {TRICKLING} trickled bodies, a 1 GB chunked upload without a key; "
                 "1 server worker, default settings")
    report("GET /health quiet (wrk -c4, keep-alive)", f"p50 {quiet['p50']:.1f} ms p99 {quiet['p99']:.1f} ms",
           f"{quiet['rps']:,.0f} req/s; {quiet['settings']}")
    ok = hostile["p99"] < 50 and hostile["non2xx"] == 0 and not hostile["socket_errors"]
    report("GET /health under hostile load (wrk -c4)",
           f"p50 {hostile['p50']:.1f} ms p99 {hostile['p99']:.1f} ms",
           f"{hostile['rps']:,.0f} req/s; {hostile['settings']}; {load_said}",
           f"{'PASS' if ok else 'FAIL'} p99 < 50 ms, errors {hostile['socket_errors'] or 'none'}")
    report("GET /health new connections, quiet / hostile",
           f"p99 {p99(quiet_fresh):.1f} ms / {p99(hostile_fresh):.1f} ms",
           f"{len(hostile_fresh)} requests, a new connection each",
           f"{'PASS' if p99(hostile_fresh) < 50 else 'FAIL'} p99 < 50 ms")
    growth = rss_peak - rss_before
    report("server RSS growth under hostile load", f"{growth:,.0f} MiB ({rss_before:,.0f} to {rss_peak:,.0f} MiB)",
           f"upload: {stats['upload_sent'] / 1e6:,.0f} MB offered over {stats['uploads']} connections, "
           f"answered " + ", ".join(f"{k[7:]}: {v}" for k, v in sorted(stats.items())
                                    if k.startswith("upload_") and k != "upload_sent"),
           f"{'PASS' if growth < 100 else 'FAIL'} < 100 MiB")
    trickles = ", ".join(f"{k[8:]}: {v}" for k, v in sorted(stats.items()) if k.startswith("trickle_"))
    report("hostile connections the server closed",
           f"{stats['idle_closed_by_server']:,} idle, trickles {trickles or 'none'}",
           f"{stats['idle_opened']:,} idle connections opened, {stats['refused']} refused",
           "(header_read_timeout 10 s, body_read_timeout 300 s, body_idle_timeout 30 s)")


def run(products: int) -> None:
    bench_hostile()
