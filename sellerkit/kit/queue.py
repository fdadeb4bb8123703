"""The job queue: Huey on SQLite in the data dir by default, on Redis when configured.

Tasks are registered on each Queue (not on a module-level Huey) so an app, a test or a
`sellerkit worker` process gets a queue bound to its own settings and database. Tasks carry ids
only; the work they point at is in the database and the file store.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer, Worker
from huey.storage import SqliteStorage

from sellerkit.config import Settings
from sellerkit.kit import metrics
from sellerkit.kit.db import Database
from sellerkit.kit.process import trim_freed_memory

log = logging.getLogger("sellerkit.queue")
# Modules with `register(queue)` (their tasks) and, optionally, `on_start(queue)` (run when a
# consumer starts: resume what a previous process left unfinished) and `on_stop(queue)` (release
# what their jobs kept open, once the consumer has stopped).
TASK_MODULES = ("sellerkit.scans.tasks", "sellerkit.commerce.tasks", "sellerkit.kit.webhooks", "sellerkit.tracking.tasks")


class _PromptWorker(Worker):
    """A consumer thread that starts a job this process enqueued at once: an idle worker polls
    the queue at most every `max_delay`, which added up to half a second to every scan."""

    wake: threading.Event | None = None  # the queue's, set when it enqueues

    def sleep(self) -> None:
        if self.wake is None:
            return super().sleep()
        self.delay = min(self.delay, self.max_delay)
        if self.wake.wait(self.delay):
            self.wake.clear()
            self.delay = self.default_delay
        else:
            self.delay *= self.backoff


class _PromptConsumer(Consumer):
    """Huey's consumer with `_PromptWorker`s woken by `wake` (those it restarts too), and its
    periodic jobs enqueued every `sweep_seconds` (Huey's scheduler: every 60)."""

    worker_class = _PromptWorker
    wake: threading.Event | None = None

    def __init__(self, huey: Huey, sweep_seconds: int = 60, **kwargs) -> None:
        self.sweep_seconds = sweep_seconds  # read by _create_scheduler, which Consumer's __init__ calls
        super().__init__(huey, **kwargs)

    def _create_worker(self) -> Worker:
        worker = super()._create_worker()
        worker.wake = self.wake
        return worker

    def _create_scheduler(self):
        scheduler = super()._create_scheduler()
        scheduler.periodic_task_seconds = self.sweep_seconds
        return scheduler

    def wake_on(self, wake: threading.Event) -> None:
        self.wake = wake
        for worker, _ in self.worker_threads:
            worker.wake = wake


class _QuietConsumer(_PromptConsumer):
    """Huey's consumer without its signal handlers: in the server the server owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


class _WorkerConsumer(_PromptConsumer):
    """`sellerkit worker`: Huey's signal handling, and running scans told to save and stop."""

    stopping: threading.Event

    def stop(self, graceful: bool = False) -> None:
        self.stopping.set()
        super().stop(graceful=True)


class _QueueStorage(SqliteStorage):
    """Huey's SQLite queue kept as durably as the database beside it (WAL, synchronous=NORMAL):
    a commit outlives the process at once and the disk at the next checkpoint. SQLite's default
    (FULL) fsynced every enqueue, on the event loop of the request that enqueued (13 ms of a
    scan's upload on a slow disk), and every dequeue."""

    def _create_connection(self):
        conn = super()._create_connection()
        conn.execute("pragma synchronous=NORMAL")
        return conn


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=str(settings.data_dir / "queue.db"), results=False,
                      storage_class=_QueueStorage)


class Queue:
    """A Huey instance, the context its tasks run in, and (optionally) an embedded consumer."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.huey = make_huey(settings)
        self._consumer: Consumer | None = None
        self.wake = threading.Event()  # set by each enqueue: the consumer's idle workers look at once
        self.stopping = threading.Event()  # long tasks stop at their next checkpoint when set
        self.tasks: dict[str, Any] = {}
        self._modules = [importlib.import_module(name) for name in TASK_MODULES]
        for module in self._modules:
            module.register(self)

    def task(self, name: str, **kwargs) -> Callable[[Callable], Any]:
        def decorate(fn: Callable) -> Any:
            @functools.wraps(fn)
            def measured(*args, **kw):
                # sellerkit_jobs_running, sellerkit_jobs_total: a task that returns "Error" failed
                try:
                    with metrics.job(name) as outcome:
                        result = fn(*args, **kw)
                        outcome.failed = result == "Error"
                        return result
                finally:
                    trim_freed_memory()  # what the job freed goes back, not kept by malloc for good

            self.tasks[name] = wrapped = self.huey.task(name=name, **kwargs)(measured)
            return wrapped
        return decorate

    def periodic(self, name: str, validate_datetime: Callable) -> Callable[[Callable], Any]:
        def decorate(fn: Callable) -> Any:
            @functools.wraps(fn)
            def trimmed(*args, **kw):
                try:
                    return fn(*args, **kw)
                finally:
                    trim_freed_memory()

            self.tasks[name] = wrapped = self.huey.periodic_task(validate_datetime, name=name)(trimmed)
            return wrapped
        return decorate

    def enqueue(self, name: str, *args) -> None:
        self.tasks[name](*args)
        self.wake.set()

    def enqueue_in(self, name: str, delay: float, *args) -> None:
        """Run task `name` no sooner than `delay` seconds from now (a retry's backoff)."""
        self.tasks[name].schedule(args=args, delay=delay)

    def start_consumer(self, workers: int, signals: bool = False) -> Consumer:
        """Consumer threads in this process (the embedded default) or, with `signals`, the
        foreground consumer of `sellerkit worker`."""
        cls = _WorkerConsumer if signals else _QuietConsumer
        self._consumer = cls(self.huey, sweep_seconds=self.settings.sweep_seconds, workers=workers,
                             worker_type="thread", periodic=True,
                             initial_delay=0.05, max_delay=0.5, check_worker_health=True)
        self._consumer.wake_on(self.wake)
        if signals:
            self._consumer.stopping = self.stopping  # type: ignore[attr-defined]
        else:
            self._consumer.start()
        for module in self._modules:
            if hasattr(module, "on_start"):
                module.on_start(self)
        return self._consumer

    def stop_consumer(self, timeout: float = 10) -> None:
        """Running scans save their progress and stop at their next chunk; what they leave
        unfinished is resumed by the next start."""
        self.stopping.set()
        if self._consumer is not None:
            self._consumer.stop_flag.set()
            self.wake.set()
            for _, worker in self._consumer.worker_threads:
                worker.join(timeout)
            self._consumer = None
        for module in self._modules:
            if hasattr(module, "on_stop"):
                module.on_stop(self)
