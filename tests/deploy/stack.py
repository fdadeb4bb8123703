"""What a scaled-out sellerkit runs on, started on this machine for the multi-process test and
the scale-out benchmarks: moto's S3 server (a real HTTP S3, `moto[s3]` served by Flask) in a
process of its own, and sellerkit processes, each logging to its own file, all stopped at the end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[2]
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moto_missing() -> str | None:
    """Why moto's S3 server cannot run here, or None."""
    try:
        import boto3  # noqa: F401
        import moto.server  # noqa: F401
    except ImportError as error:
        return f"moto's S3 server is not installed ({error}): pip install -e '.[test]'"
    return None


class MotoS3:
    """`python -m moto.server` on a free loopback port, with one bucket."""

    def __init__(self, bucket: str, log: Path) -> None:
        self.bucket, self.log_path = bucket, log
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> MotoS3:
        from botocore.exceptions import EndpointConnectionError

        log = open(self.log_path, "wb")  # noqa: SIM115 - written by the server until it stops
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=log, stderr=log, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.client().create_bucket(Bucket=self.bucket)
                return self
            except EndpointConnectionError as error:  # not listening yet
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto's S3 server did not start ({error}): "
                                       f"{self.log_path.read_text(errors='replace')[-2000:]}") from None
                time.sleep(0.2)
            except BaseException:
                self.stop()
                raise

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=S3_CREDENTIALS["AWS_REGION"],
                            aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])

    def keys(self, prefix: str = "") -> list[str]:
        """Every object's key under `prefix`, as the bucket lists them."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@contextmanager
def moto_s3(bucket: str, log: Path) -> Iterator[MotoS3]:
    server = MotoS3(bucket, log).start()
    try:
        yield server
    finally:
        server.stop()


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without any sellerkit, AWS or metrics setting, plus `settings`:
    a started process reads exactly what it is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SELLERKIT_", "AWS_", "PROMETHEUS_"))}
    return {**env, "PYTHONPATH": str(ROOT), **settings}


def argv(command: list[str]) -> list[str]:
    """A `sellerkit ...` command run from this checkout (the same Python, this source tree)."""
    assert command[0] == "sellerkit", command
    return [sys.executable, "-m", "sellerkit.cli", *command[1:]]


class Fleet:
    """Processes started for a test, each logging to `<log_dir>/<name>.log`; `stop()` ends every
    one still running (SIGTERM, then SIGKILL), so a failing test leaves none behind."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        with open(self.log(name), "ab") as out:
            proc = subprocess.Popen(argv(command), env=env, stdout=out, stderr=out, start_new_session=True)
        self.procs[name] = proc
        return proc

    def run(self, name: str, command: list[str], env: dict[str, str], timeout: float = 120) -> str:
        """A one-shot command: its standard output; its output in the error when it fails."""
        done = subprocess.run(argv(command), env=env, capture_output=True, text=True, timeout=timeout)
        self.log(name).write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            raise AssertionError(f"`{' '.join(command)}` exited {done.returncode}:\n{done.stderr[-3000:]}")
        return done.stdout

    def logs(self, *names: str, tail: int = 3000) -> str:
        """The end of each process's log (all of them by default), for an assertion message."""
        out = []
        for name in names or sorted(self.procs):
            path = self.log(name)
            text = path.read_text(errors="replace")[-tail:] if path.exists() else "(no log)"
            state = self.procs[name].poll() if name in self.procs else "one-shot"
            out.append(f"----- {name} (exit: {state}) -----\n{text}")
        return "\n".join(out)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        proc.wait(30)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def wait_for(self, predicate: Callable[[], T], timeout: float, what: str, every: float = 0.05) -> T:
        """The first true value of `predicate()`; on timeout an AssertionError with every log."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{self.logs()}")
            time.sleep(every)
