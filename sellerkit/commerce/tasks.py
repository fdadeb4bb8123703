"""Background jobs of the commerce core: submitting a large manifest."""

from __future__ import annotations

from sellerkit.kit.queue import Queue

SUBMIT = "commerce.submit_manifest"


def register(queue: Queue) -> None:
    db = queue.db

    @queue.task(SUBMIT)
    def submit_manifest(manifest_id: int) -> None:
        """The request claimed the manifest (`processing` is true until this ends)."""
        # imported here: every worker registers this task, few run it, and start-up time counts
        # (a worker that starts late leaves a shut-down worker's scan waiting)
        from sellerkit.commerce.manifests import manifests

        manifests.submit(db, manifest_id)
