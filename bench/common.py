"""Shared benchmark plumbing: data files, a real server process, wrk, and reporting lines."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data"
DATA.mkdir(parents=True, exist_ok=True)
PY = sys.executable


def machine() -> str:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores {cpu}, {mem:.0f} GiB, Python {platform.python_version()}"


def report(name: str, value: str, size: str, verdict: str = "") -> None:
    """One line per figure: what, how much, on what data, and the target verdict."""
    print(f"{name:<48} {value:<34} {size:<38} {verdict}", flush=True)


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SELLERKIT_DATA_DIR": str(data_dir), "SELLERKIT_DEMO": "0", **extra}
    env.pop("SELLERKIT_DATABASE_URL", None)
    return env


def sellerkit(*args: str, env: dict, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "sellerkit.cli", *args], env=env, check=True, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_key(env: dict, plan: str = "unlimited", rps: int = 1_000_000) -> dict:
    """A key for load tests: an unlimited plan and a request rate far above what is measured
    (600/s is the default per key; the operator raises it with `sellerkit keys set-limit`)."""
    issued = json.loads(subprocess.run([PY, "-m", "sellerkit.cli", "keys", "create", "--name", f"bench-{plan}",
                                        "--plan", plan, "--json"], env=env, check=True, capture_output=True,
                                       text=True).stdout)
    subprocess.run([PY, "-m", "sellerkit.cli", "keys", "set-limit", issued["partner_id"], "--rps", str(rps)],
                   env=env, check=True, capture_output=True)
    return issued


@contextmanager
def server(env: dict, workers: int = 1):
    """A `sellerkit serve` on a free port: its base URL."""
    with server_process(env, workers) as (base, _proc):
        yield base


@contextmanager
def server_process(env: dict, workers: int = 1, settle: float = 0.5):
    """A `sellerkit serve` on a free port, once it accepts connections: (base URL, process)."""
    port = free_port()
    proc = subprocess.Popen(
        [PY, "-m", "sellerkit.cli", "serve", "--port", str(port), "--workers", str(workers), "--no-demo"],
        env={**env, "SELLERKIT_LOG_LEVEL": "warning"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        time.sleep(settle)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, script: Path, threads: int = 1, connections: int = 16, seconds: int = 15) -> dict:
    """Run wrk with a Lua script; returns requests/s, latency percentiles (ms) and errors."""
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "raw": out}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        res[f"p{pct}"] = float(m.group(1)) * _UNITS[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1) if m else ""
    res["settings"] = f"wrk -t{threads} -c{connections} -d{seconds}s"
    return res
