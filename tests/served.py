"""Real `sellerkit serve` processes for tests that need the server itself (HTTP/2, several
processes, restarts)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "SELLERKIT_DATA_DIR": str(data_dir), "SELLERKIT_DEMO": "0", **extra}
    env.pop("SELLERKIT_DATABASE_URL", None)
    return env


def cli(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "sellerkit.cli", *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def new_key(env: dict, name: str, plan: str = "pro") -> dict:
    return json.loads(cli(env, "keys", "create", "--name", name, "--plan", plan, "--json"))


@contextmanager
def serve(env: dict, workers: int = 1) -> Iterator[str]:
    """`sellerkit serve` on a free port; stopped with SIGTERM (a graceful shutdown) at the end."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sellerkit.cli", "serve", "--port", str(port),
                             "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:  # the whole group: a worker left alive would hold stderr open, and the read never end
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"server did not start: {proc.stderr.read().decode()[-2000:]}")
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
