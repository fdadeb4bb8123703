"""sellerkit: a self-hosted platform for marketplace sellers.

`sellerkit.Client` and `sellerkit.AsyncClient` are the Python SDK (`sellerkit.sdk`), imported on
first use so the server does not load them.
"""

import os

__version__ = "0.1.0"

# polars' CSV reader decodes ahead of its consumer; by default far enough to hold half of a 5M-row
# supplier file (about 300 MB) while a scan works on its first chunk. Two 8 MB blocks ahead read
# as fast. Read once, when polars first reads a CSV: set before anything imports it.
os.environ.setdefault("POLARS_CSV_CHUNK_SIZE", str(8 << 20))
os.environ.setdefault("POLARS_CSV_CHUNK_PREFETCH_LIMIT", "2")

__all__ = ["AsyncClient", "Client", "__version__"]


def __getattr__(name: str):
    if name in ("Client", "AsyncClient"):
        from sellerkit import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'sellerkit' has no attribute {name!r}")
