"""The idle-connection sweep touches sockets only: the server's database locks survive it."""

from __future__ import annotations

import fcntl
import socket
import subprocess
import sys

from sellerkit.kit.connections import listening_ports, sweep

_TRY_LOCK = """
import fcntl, sys
with open(sys.argv[1], "r+b") as fh:
    try:
        fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print("held")
    else:
        print("free")
"""


def _lock_seen_by_another_process(path) -> str:
    return subprocess.run([sys.executable, "-c", _TRY_LOCK, str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()


class TestSweep:
    def test_a_posix_lock_of_this_process_survives_a_sweep(self, tmp_path):
        # SQLite guards its database with POSIX locks, which any close() of a descriptor of the
        # same file drops: a sweep that duplicated and closed every descriptor let another
        # process write the database under a live server (seen: "database disk image is malformed").
        path = tmp_path / "sellerkit.db"
        path.write_bytes(b"\0" * 4096)
        listener = socket.create_server(("127.0.0.1", 0))
        with open(path, "r+b") as fh:
            fcntl.lockf(fh, fcntl.LOCK_EX)
            assert _lock_seen_by_another_process(path) == "held"
            ports = listening_ports()
            sweep(ports, header_timeout=0.0, keep_alive_timeout=0.0)
            assert _lock_seen_by_another_process(path) == "held"
        listener.close()

    def test_finds_the_port_this_process_listens_on(self):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            assert listener.getsockname()[1] in listening_ports()
