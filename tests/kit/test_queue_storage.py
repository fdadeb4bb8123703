"""The embedded job queue is as durable as the database beside it, without an fsync per job."""

from __future__ import annotations

from sellerkit.kit.queue import make_huey


def test_sqlite_queue_commits_without_fsync_and_keeps_its_jobs(settings):
    huey = make_huey(settings)
    conn = huey.storage.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL: a commit is not fsynced
    huey.storage.enqueue(b"job")
    again = make_huey(settings)  # another process's view of the same file
    assert again.storage.queue_size() == 1
    assert again.storage.dequeue() == b"job"
