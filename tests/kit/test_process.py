"""Lease owners: a process of this host that is gone is told apart from one that runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sellerkit.kit import process
from sellerkit.kit.process import Owner

pytestmark = pytest.mark.skipif(process.host() is None, reason="needs /proc (Linux) to tell whether a process runs")


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


class TestIsGone:
    def test_a_killed_process_of_this_host_is_gone(self):
        child = _sleeper()
        owner = Owner(process.host(), child.pid, process.started(child.pid))
        child.kill()
        child.wait()
        assert process.is_gone(owner)

    def test_a_killed_process_not_yet_reaped_is_gone(self):
        child = _sleeper()
        owner = Owner(process.host(), child.pid, process.started(child.pid))
        child.kill()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, still a zombie
        try:
            assert process.is_gone(owner)
        finally:
            child.wait()

    def test_a_running_process_is_not_gone(self):
        child = _sleeper()
        try:
            assert not process.is_gone(Owner(process.host(), child.pid, process.started(child.pid)))
        finally:
            child.kill()
            child.wait()

    def test_this_process_is_not_gone(self):
        assert not process.is_gone(process.current())

    def test_a_reused_pid_is_not_taken_for_its_old_owner(self):
        me = process.current()
        assert process.is_gone(Owner(me.host, me.pid, me.started - 1))

    def test_a_process_of_another_host_is_never_gone(self):
        assert not process.is_gone(Owner("elsewhere/0", 2**22 + 1, 1))

    def test_an_owner_without_a_start_time_is_never_gone(self):
        assert not process.is_gone(Owner(process.host(), 2**22 + 1, None))


class TestLeaseHolder:
    def test_each_holding_has_its_own_name(self):
        assert process.lease_holder() != process.lease_holder()

    def test_a_long_host_name_still_fits_the_lease_column(self, monkeypatch):
        from sellerkit.scans.models import Leased

        monkeypatch.setattr(process.socket, "gethostname", lambda: "h" * 253)
        assert len(process.lease_holder()) <= Leased.runner.column.type.length


_TRIM_PROBE = """
from sellerkit.kit.process import trim_freed_memory

def anon():
    return next(int(line.split()[1]) for line in open("/proc/self/smaps_rollup") if line.startswith("Anonymous:"))

blocks = [bytes(600) + bytes([i % 256]) for i in range(100_000)]  # past pymalloc's 512 bytes: malloc's heap
keep = bytes(600) + b"!"  # above them on the heap: glibc alone would not give their pages back
del blocks
before = anon()
assert trim_freed_memory()
print(before - anon())
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="reads /proc")
def test_trim_gives_freed_heap_memory_back():
    """After a job: what it freed below live memory goes back to the kernel, not kept by malloc."""
    freed_kib = int(subprocess.run([sys.executable, "-c", _TRIM_PROBE], check=True, capture_output=True,
                                   text=True).stdout)
    assert freed_kib > 40 * 1024
