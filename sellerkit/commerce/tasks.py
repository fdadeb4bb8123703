"""Background jobs of the commerce core: submitting a large manifest, and sending listings to
live channels (the puts of a submitted manifest; due puts, patches and deletes, swept each
minute, and at once after a request that queued a put or a delete)."""

from __future__ import annotations

from huey import crontab

from sellerkit.kit.queue import Queue

SUBMIT = "commerce.submit_manifest"
PUBLISH = "commerce.publish_listings"
SEND = "commerce.send_listing_changes"
SWEEP = "commerce.sweep_listing_changes"


def register(queue: Queue) -> None:
    db = queue.db

    @queue.task(SUBMIT)
    def submit_manifest(manifest_id: int) -> None:
        """The request claimed the manifest (`processing` is true until this ends)."""
        # imported here: every worker registers this task, few run it, and start-up time counts
        # (a worker that starts late leaves a shut-down worker's scan waiting)
        from sellerkit.commerce.channel_listings import channel_listings
        from sellerkit.commerce.manifests import manifests

        if manifests.submit(db, manifest_id, queue.settings):
            channel_listings.publish_manifest(db, queue.settings, manifest_id)

    @queue.task(PUBLISH)
    def publish_listings(manifest_id: int) -> None:
        from sellerkit.commerce.channel_listings import channel_listings

        channel_listings.publish_manifest(db, queue.settings, manifest_id)

    @queue.task(SEND)
    def send_listing_changes() -> None:
        send(queue)

    @queue.periodic(SWEEP, crontab(minute="*"))
    def sweep_listing_changes() -> None:
        send(queue)


def send(queue: Queue) -> None:
    """Send what is due (a patch once its debounce window has passed: at most a minute later)."""
    from sellerkit.commerce.channel_listings import channel_listings

    channel_listings.send_due(queue.db, queue.settings)


def kick(queue: Queue) -> None:
    """After a commit that queued a put or a delete: send it now rather than at the sweep."""
    queue.enqueue(SEND)


def on_start(queue: Queue) -> None:
    """Work a previous process left (a manifest half sent, patches waiting) is due again."""
    queue.enqueue(SEND)
