"""Background jobs of the commerce core: submitting a large manifest; sending listings to live
channels (the puts of a submitted manifest; due puts, patches and deletes, swept each minute, and
at once after a request that queued a put or a delete); pulling orders from live channels on a
schedule; confirming shipments to them."""

from __future__ import annotations

from datetime import timedelta

from huey import crontab

from sellerkit.kit.queue import Queue

SUBMIT = "commerce.submit_manifest"
PUBLISH = "commerce.publish_listings"
SEND = "commerce.send_listing_changes"
SWEEP = "commerce.sweep_listing_changes"
PULL = "commerce.pull_orders"
PULL_DUE = "commerce.pull_orders_due"
SHIPMENTS_SWEEP = "commerce.shipments_sweep"
CONFIRM = "commerce.confirm_shipment"


def live(queue: Queue):
    """What live channels need, for jobs of this queue."""
    from sellerkit.commerce.channels import Live

    return Live.of(queue.db, queue.settings)


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

    @queue.task(PULL)
    def pull_orders(channel_id: int) -> None:
        """One pull of one channel account (a failure is kept on its pull row; the next
        scheduled pull resumes it)."""
        from sellerkit.commerce.order_pulls import order_pulls
        from sellerkit.commerce.orders_router import webhook_view
        from sellerkit.errors import SellerkitError
        from sellerkit.kit import webhooks

        try:
            done = order_pulls.pull(db, live(queue), channel_id, view=webhook_view(db))
        except SellerkitError:
            return
        webhooks.enqueue(queue, done.deliveries)

    @queue.periodic(PULL_DUE, crontab(minute="*"))
    def pull_orders_due() -> None:
        """Every minute: the connected channel accounts not pulled for SELLERKIT_ORDERS_PULL_MINUTES."""
        from sellerkit.commerce.order_pulls import order_pulls

        for channel_id in order_pulls.due(db, timedelta(minutes=queue.settings.orders_pull_minutes)):
            queue.enqueue(PULL, channel_id)

    @queue.task(CONFIRM)
    def confirm_shipment(shipment_id: int) -> None:
        from sellerkit.commerce import shipments

        delay = shipments.attempt(db, live(queue), shipment_id)
        if delay is not None:
            queue.enqueue_in(CONFIRM, delay, shipment_id)

    @queue.periodic(SHIPMENTS_SWEEP, crontab(minute="*"))
    def shipments_sweep() -> None:
        """Pending confirmations whose attempt is overdue (a restart lost the scheduled retry)."""
        from sellerkit.commerce import shipments

        for shipment_id in shipments.overdue(db, grace=60):
            queue.enqueue(CONFIRM, shipment_id)


def send(queue: Queue) -> None:
    """Send what is due (a patch once its debounce window has passed: at most a minute later)."""
    from sellerkit.commerce.channel_listings import channel_listings

    channel_listings.send_due(queue.db, queue.settings)


def kick(queue: Queue) -> None:
    """After a commit that queued a put or a delete: send it now rather than at the sweep."""
    queue.enqueue(SEND)


def on_start(queue: Queue) -> None:
    """Work a previous process left is due again: listings (a manifest half sent, patches
    waiting) and shipment confirmations."""
    from sellerkit.commerce import shipments

    queue.enqueue(SEND)
    for shipment_id in shipments.overdue(queue.db, grace=0):
        queue.enqueue(CONFIRM, shipment_id)
