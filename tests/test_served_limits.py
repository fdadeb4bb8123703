"""Hostile clients against the real server (`sellerkit serve` on Granian): large chunked bodies
are cut off at the route's limit and their connections closed, an upload without a key is refused
without its body being read, trickled bodies get a 408, an upload cut off halfway leaves no file,
and thousands of idle and trickling connections neither take the server down nor stay open past
their timeouts."""

from __future__ import annotations

import resource
import socket
import statistics
import time

import pytest

from tests.served import env_for, new_key, serve

TIMEOUTS = {"SELLERKIT_HEADER_READ_TIMEOUT": "1", "SELLERKIT_KEEP_ALIVE_TIMEOUT": "2",
            "SELLERKIT_BODY_IDLE_TIMEOUT": "1", "SELLERKIT_BODY_READ_TIMEOUT": "3"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    env = env_for(tmp_path_factory.mktemp("served-limits"), **TIMEOUTS)
    key = new_key(env, "t")["key"]
    with serve(env) as base:
        yield int(base.rsplit(":", 1)[1]), key


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def reply_of(s: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        data += b"<not closed>"
    return data


def push_chunked(s: socket.socket, head: bytes, limit: int = 200_000_000) -> int:
    """Send a chunked body until the server stops taking it; the bytes sent."""
    s.sendall(head)
    block, sent = b"x" * 65536, 0
    try:
        while sent < limit:
            s.sendall(b"%x\r\n" % len(block) + block + b"\r\n")
            sent += len(block)
    except OSError:  # the server closed the connection: what the callers assert happens early
        return sent
    return sent


def health_ms(port: int, n: int = 7) -> list[float]:
    """`GET /health` on a new connection each time (one the server must accept beside the
    others), milliseconds until the whole reply is in."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        with connect(port) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            assert reply_of(s).startswith(b"HTTP/1.1 200")
        times.append((time.perf_counter() - started) * 1000)
    return times


def alive(s: socket.socket) -> bool:
    """Whether the server still holds the connection open (its replies read and dropped)."""
    s.settimeout(0.001)
    try:
        while s.recv(65536):
            continue  # a reply: read and dropped
        return False  # an orderly close
    except TimeoutError:
        return True
    except OSError:
        return False


@pytest.mark.slow
class TestServedBodies:
    def test_chunked_json_body_is_cut_off_at_the_limit(self, served):
        port, key = served
        s = connect(port)
        sent = push_chunked(s, f"POST /api/v3/convert HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {key}\r\n"
                               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
        reply = reply_of(s)
        assert reply.startswith(b"HTTP/1.1 413") and b"limit of 1,000 KB" in reply
        assert not reply.endswith(b"<not closed>")
        assert sent < 20_000_000  # what the socket buffers took before the server closed

    def test_chunked_upload_without_a_key_is_refused_unread(self, served):
        port, _ = served
        s = connect(port)
        sent = push_chunked(s, b"POST /api/v3/scans HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
                               b"Content-Type: multipart/form-data; boundary=b\r\n\r\n")
        reply = reply_of(s)
        assert reply.startswith(b"HTTP/1.1 401") and b"missing API key" in reply
        assert not reply.endswith(b"<not closed>")
        assert sent < 20_000_000

    def test_trickled_body_is_a_408_and_closed(self, served):
        port, key = served
        s = connect(port)
        s.sendall(f"POST /api/v3/convert HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {key}\r\n"
                  "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n".encode())
        started, reply = time.monotonic(), b""
        s.settimeout(0.3)
        while time.monotonic() - started < 8:
            try:
                s.send(b" ")
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            reply += chunk
        assert reply.startswith(b"HTTP/1.1 408") and b"SELLERKIT_BODY_READ_TIMEOUT" in reply
        assert time.monotonic() - started < 6  # cut off at the 3 s deadline, then closed


@pytest.mark.slow
class TestServedConnections:
    def test_health_answers_while_thousands_of_connections_idle_and_trickle(self, served):
        port, key = served
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
        idle = [connect(port) for _ in range(2_500)]  # more than the 2,048 that took it down
        trickling = []
        for _ in range(100):
            s = connect(port)
            s.sendall(f"POST /api/v3/convert HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {key}\r\n"
                      "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{".encode())
            trickling.append(s)
        try:
            times = health_ms(port)
            assert statistics.median(times) < 100, times
            time.sleep(4)  # past the header timeout (1 s) and the body deadline (3 s)
            assert sum(alive(s) for s in idle) == 0
            assert sum(alive(s) for s in trickling) == 0
        finally:
            for s in idle + trickling:
                s.close()

    def test_idle_keep_alive_connection_is_closed(self, served):
        port, _ = served
        s = connect(port)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        assert s.recv(65536).startswith(b"HTTP/1.1 200")
        time.sleep(3.5)  # past the keep-alive timeout (2 s)
        assert not alive(s)

    def test_idle_http2_connection_is_closed(self, served):
        import h2.config
        import h2.connection

        port, _ = served
        s = connect(port)
        client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        client.initiate_connection()
        s.sendall(client.data_to_send())
        time.sleep(3.5)  # past the keep-alive timeout (2 s): HTTP/2 has no header timeout between requests
        assert not alive(s)


@pytest.mark.slow
class TestServedUploads:
    """An upload is written to a work file as it arrives: one that stops halfway, by a stall or
    a dropped connection, leaves nothing behind on the server's disk."""

    HEAD = ("POST /api/v3/scans HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {key}\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 50000000\r\n\r\n"
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\nUPC,Cost\r\n")

    @staticmethod
    def _work_files(data_dir) -> list[str]:
        folder = data_dir / "work"
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []

    def test_a_stalled_or_dropped_upload_leaves_no_work_file(self, tmp_path):
        env = env_for(tmp_path, **TIMEOUTS)
        key = new_key(env, "uploader")["key"]
        rows = b"036000291452,1.50\r\n" * 200_000  # 3.8 MB: several blocks written before the cut
        with serve(env) as base:
            port = int(base.rsplit(":", 1)[1])
            stalled = connect(port)
            stalled.sendall(self.HEAD.format(key=key).encode() + rows)
            reply = reply_of(stalled)  # nothing more is sent: the idle timeout (1 s) cuts it off
            assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
            dropped = connect(port)
            dropped.sendall(self.HEAD.format(key=key).encode() + rows)
            time.sleep(0.5)
            dropped.close()
            deadline = time.monotonic() + 10
            while self._work_files(tmp_path) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert self._work_files(tmp_path) == []
            assert all(ms < 5_000 for ms in health_ms(port, 2))
