"""Background jobs of the commerce core: submitting a large manifest."""

from __future__ import annotations

from sellerkit.commerce.manifests import manifests
from sellerkit.kit.queue import Queue

SUBMIT = "commerce.submit_manifest"


def register(queue: Queue) -> None:
    db = queue.db

    @queue.task(SUBMIT)
    def submit_manifest(manifest_id: int) -> None:
        """The request claimed the manifest (`processing` is true until this ends)."""
        manifests.submit(db, manifest_id)
