"""The one name `sellerkit serve` needs before prometheus-client is imported (see kit/metrics.py)."""

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
