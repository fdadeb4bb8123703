"""Issue 20 memory figures.

- An idle server with the demo catalog, after a look-up and a small scan (what a first-time user's
  server holds): the process tree's proportional set size (PSS, from /proc/PID/smaps_rollup), so
  the pages the server and its worker share after the fork are counted once, as the machine holds
  them; the plain RSS sum (which counts them in every process) is printed beside it.
- A 1,000,000-product catalog snapshot, built (`sellerkit catalog snapshot`, the peak of its
  process's `Pss_Anon`, sampled) and loaded in a process (the growth of `Pss_Anon`): its private
  memory, the anonymous pages (heap and polars buffers). File-backed pages (SQLite's memory-mapped
  database, files read) are the kernel's to drop and reread at will, so they do not count.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bench.catalog import PRODUCTS
from bench.common import DATA, PY, env_for, free_port, report
from bench.scans import TreeMemory

IDLE_GOAL = 300 * 2**20
SNAPSHOT_GOAL = 2**30


def smaps(pid: int) -> dict[str, int]:
    """The kB fields of a process's smaps_rollup, in bytes."""
    fields = {}
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                fields[parts[0].rstrip(":")] = int(parts[1]) * 1024
    except OSError:
        pass
    return fields


def tree_memory(pid: int) -> tuple[int, int]:
    """(RSS sum, PSS sum) of a process and its children."""
    rss = pss = 0
    for member in TreeMemory(pid).tree():
        fields = smaps(member)
        rss, pss = rss + fields.get("Rss", 0), pss + fields.get("Pss", 0)
    return rss, pss


def idle() -> None:
    with tempfile.TemporaryDirectory(dir=DATA) as folder:
        env = env_for(Path(folder), SELLERKIT_DEMO="1", SELLERKIT_LOG_LEVEL="warning")
        port = free_port()
        proc = subprocess.Popen([PY, "-m", "sellerkit.cli", "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=60) as http:
                deadline = time.time() + 600  # the first start loads the demo catalog
                while True:
                    try:
                        if http.get("/ready").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.time() > deadline:
                        raise RuntimeError("the server did not become ready")
                    time.sleep(0.5)
                key = json.loads(subprocess.run([PY, "-m", "sellerkit.cli", "keys", "create", "--name", "memory",
                                                 "--plan", "pro", "--json"], env=env, check=True,
                                                capture_output=True, text=True).stdout)["key"]
                headers = {"Authorization": f"Bearer {key}"}
                http.get("/products/lookup", params={"key": key, "asin": "B0004I0VKR"})
                scan = http.post("/api/v3/scans", headers=headers, files={"file": ("s.csv", b"0018740642,2.00\n")},
                                 data={"attributes": json.dumps({"mapping": {"id": 0, "cost": 1},
                                                                 "options": {"marketplace_id": "US"}})}).json()
                while http.get(f"/api/v3/scans/{scan['id']}", headers=headers).json()["status"] == "InProgress":
                    time.sleep(0.2)
            time.sleep(3)
            rss, pss = tree_memory(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
    report("idle server, demo catalog (PSS of the process tree)", f"{pss / 2**20:.0f} MiB (RSS sum {rss / 2**20:.0f} MiB)",
           "demo catalog, after a look-up and a scan", f"{'PASS' if pss < IDLE_GOAL else 'FAIL'} < 300 MiB")


_SNAPSHOT_PROBE = """
import json, os, sys, time
from pathlib import Path
from bench.memory import smaps
from sellerkit.catalog.snapshot import snapshots
from sellerkit.kit.db import Database
folder = Path(sys.argv[1])
db = Database(f"sqlite:///{folder / 'sellerkit.db'}")
before = smaps(os.getpid())
frame = snapshots.current(db, folder, "US")
loaded = smaps(os.getpid())
time.sleep(2)  # what the allocator freed while loading goes back to the system (decay 0.5-1 s)
after = smaps(os.getpid())
print(json.dumps({"anon": after["Pss_Anon"] - before["Pss_Anon"], "rss": after["Rss"] - before["Rss"],
                  "at_once": loaded["Pss_Anon"] - before["Pss_Anon"], "products": frame.products.height}))
"""


def _peak_private(cmd: list[str], env: dict) -> tuple[int, int]:
    """(peak Pss_Anon, peak RSS) of a command, sampled every 50 ms from its smaps_rollup."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    anon = rss = 0
    while proc.poll() is None:
        fields = smaps(proc.pid)
        anon, rss = max(anon, fields.get("Pss_Anon", 0)), max(rss, fields.get("Rss", 0))
        time.sleep(0.05)
    if proc.returncode:
        raise RuntimeError(f"{cmd} failed ({proc.returncode})")
    return anon, rss


def snapshot(products: int) -> None:
    folder = DATA / f"db-{products}"
    if not (folder / "sellerkit.db").exists():
        report("catalog snapshot private memory", "SKIPPED", f"no {folder}: run `python -m bench --only scans` first")
        return
    for old in (folder / "catalog").glob("*"):
        old.unlink()  # a real build of every marketplace
    anon, rss = _peak_private([PY, "-m", "sellerkit.cli", "catalog", "snapshot"], env_for(folder))
    report("catalog snapshot build, peak private memory", f"{anon / 2**20:.0f} MiB Pss_Anon (RSS {rss / 2**20:.0f} MiB)",
           f"{products:,} products, every marketplace", f"{'PASS' if anon < SNAPSHOT_GOAL else 'FAIL'} < 1 GiB "
           "(the database's memory-mapped pages are the file's, not private)")
    out = json.loads(subprocess.run([PY, "-c", _SNAPSHOT_PROBE, str(folder)], env={**os.environ},
                                    check=True, capture_output=True, text=True, cwd=DATA.parents[1]).stdout)
    report("catalog snapshot private memory (US, loaded)", f"{out['anon'] / 2**20:.0f} MiB (RSS +{out['rss'] / 2**20:.0f} MiB)",
           f"{out['products']:,} US products of {products:,}; 2 s after loading ({out['at_once'] / 2**20:.0f} MiB "
           "at once)", f"{'PASS' if max(out['anon'], out['at_once']) < SNAPSHOT_GOAL else 'FAIL'} < 1 GiB")


def run(products: int = PRODUCTS) -> None:
    idle()
    snapshot(products)
