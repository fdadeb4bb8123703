"""Connections the HTTP server would otherwise hold for ever.

Granian serves at most `max_connections` connections a worker; an idle connection holds its place.
Its HTTP/1.1 `header_read_timeout` closes a connection whose request headers start but do not
finish, but on a port that speaks HTTP/1.1 and HTTP/2 alike the server first waits for the
client's first bytes to tell which, with no timeout: a client that connects and sends nothing
kept its place for ever (about 2,050 such connections took the server down), and nothing closed
an idle HTTP/2 connection either. The reaper closes both, from inside each worker process: every
connection accepted on the process's listening sockets that has no request in flight and has
received nothing for `header_read_timeout` (never sent a byte) or `keep_alive_timeout` (idle
between requests) is shut down, which the server sees as the client going away.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
import time

log = logging.getLogger("sellerkit")

_ESTABLISHED, _CLOSE, _LISTEN = 1, 7, 10
# struct tcp_info (linux/tcp.h): state, then tcpi_last_data_sent at 44, tcpi_last_data_recv at
# 52 (milliseconds ago) and tcpi_bytes_received at 128.
_TCP_INFO_SIZE = 136

in_flight: dict[tuple, int] = {}
"""Requests being served, by client address (host, port): one TCP connection each."""

closing: dict[tuple, float] = {}
"""HTTP/1.1 connections answered with an error that ends them (413, 408), by client address, and
when: Granian keeps such a connection open while a cancelled read of its body is pending, so the
reaper shuts it down once the client has had a moment to read the reply."""

CLOSING_GRACE = 0.5


def peer_of(client) -> tuple[str, int] | None:
    """An ASGI scope's `client` as the socket's peer address (Granian gives the port as text)."""
    try:
        return (client[0], int(client[1])) if client else None
    except (TypeError, ValueError, IndexError):
        return None


def close_soon(client) -> None:
    if (peer := peer_of(client)) is not None:
        closing[peer] = time.monotonic()


class InFlight:
    """Counts each connection's requests in flight, so the reaper never closes a connection that
    is waiting for its reply (plain ASGI, a dictionary update a request)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        peer = peer_of(scope.get("client")) if scope["type"] == "http" else None
        if peer is None:
            return await self.app(scope, receive, send)
        in_flight[peer] = in_flight.get(peer, 0) + 1
        try:
            await self.app(scope, receive, send)
        finally:
            left = in_flight.get(peer, 1) - 1
            if left > 0:
                in_flight[peer] = left
            else:
                in_flight.pop(peer, None)


def _tcp_info(sock: socket.socket) -> tuple[int, int, int, int] | None:
    """(state, ms since data was last sent, ms since data was last received, bytes received)."""
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_SIZE)
    except OSError:
        return None  # not a TCP socket
    if len(raw) < _TCP_INFO_SIZE:
        return None
    sent, = struct.unpack_from("I", raw, 44)
    received, = struct.unpack_from("I", raw, 52)
    total, = struct.unpack_from("Q", raw, 128)
    return raw[0], sent, received, total


def _sockets():
    """Every socket of this process, as a duplicate the caller closes (a duplicate keeps the
    socket it was taken from, whatever the server does with the original descriptor meanwhile).
    Only sockets are ever duplicated: closing a duplicate of a file's descriptor would drop every
    POSIX lock this process holds on that file, SQLite's included, and let another process write
    the database at the same time (corrupting it). Typed as TCP without asking: `_tcp_info`
    fails on any other socket."""
    for name in os.listdir("/proc/self/fd"):
        try:
            if not os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                continue
            dup = os.dup(int(name))
        except OSError:
            continue
        try:
            yield socket.socket(socket.AF_INET, socket.SOCK_STREAM, 0, dup)
        except OSError:
            os.close(dup)


def _port(address) -> int | None:
    return address[1] if isinstance(address, tuple) and len(address) >= 2 else None


def listening_ports() -> set[int]:
    """The ports this process listens on, or is bound to listen on: a Granian worker gets its
    socket bound and calls listen() itself after the app's start-up."""
    ports = set()
    for sock in _sockets():
        with sock:
            info = _tcp_info(sock)
            if info and info[0] in (_LISTEN, _CLOSE) and _port(sock.getsockname()):
                ports.add(_port(sock.getsockname()))
    return ports


def sweep(ports: set[int], header_timeout: float, keep_alive_timeout: float) -> int:
    """Shut down the idle connections accepted on `ports`; the number shut down."""
    closed, now = 0, time.monotonic()
    header_ms, keep_alive_ms = header_timeout * 1000, keep_alive_timeout * 1000
    for sock in _sockets():
        with sock:
            info = _tcp_info(sock)
            if info is None or info[0] != _ESTABLISHED:
                continue
            _state, since_sent, since_received, received = info
            if received == 0:  # never sent a byte: idle since the connection was made
                idle = since_received > header_ms
            else:
                idle = min(since_sent, since_received) > keep_alive_ms
            if not idle and not closing:
                continue  # the common case, decided without another system call
            try:
                if _port(sock.getsockname()) not in ports:
                    continue  # a connection this process made (database, Redis ...)
                peer = sock.getpeername()
            except OSError:
                continue
            peer = (peer[0], peer[1])
            condemned = closing.get(peer)
            if condemned is not None and now - condemned > CLOSING_GRACE:
                closing.pop(peer, None)
                closed += _shutdown(sock)
            elif idle and peer not in in_flight:
                closed += _shutdown(sock)
    for peer, when in list(closing.items()):
        if when < now - 60:  # closed by itself meanwhile
            closing.pop(peer, None)
    return closed


def _shutdown(sock: socket.socket) -> int:
    try:
        sock.shutdown(socket.SHUT_RDWR)
        return 1
    except OSError:
        return 0


class Reaper:
    """The sweep every fraction of the shortest timeout, on a daemon thread of the worker."""

    def __init__(self, header_timeout: float, keep_alive_timeout: float) -> None:
        self.header_timeout = header_timeout
        self.keep_alive_timeout = keep_alive_timeout
        self.period = min(1.0, max(0.1, min(header_timeout, keep_alive_timeout) / 4))
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start when this process listens (a server worker; a test's in-process app does not)."""
        ports = listening_ports()
        if not ports:
            return False
        self.thread = threading.Thread(target=self._run, args=(ports,), name="sellerkit-reaper", daemon=True)
        self.thread.start()
        return True

    def _run(self, ports: set[int]) -> None:
        while not self.stopping.wait(self.period):
            try:
                sweep(ports, self.header_timeout, self.keep_alive_timeout)
            except Exception:  # noqa: BLE001 - the next sweep tries again
                log.exception("idle connection sweep failed")

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(5)
