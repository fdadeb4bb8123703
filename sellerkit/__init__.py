"""sellerkit: a self-hosted platform for marketplace sellers.

`sellerkit.Client` and `sellerkit.AsyncClient` are the Python SDK (`sellerkit.sdk`), imported on
first use so the server does not load them.
"""

import os

__version__ = "0.1.0"

# polars' CSV reader decodes ahead of its consumer; by default far enough to hold half of a 5M-row
# supplier file (about 300 MB) while a scan works on its first chunk. One 2 MB block ahead reads
# as fast as two of 8 MB (0.12 s for the 1M-row file) and holds ~60 MB less while a scan works,
# more of it the larger the file (with two of 8 MB, a 5M-row file's scan held ~25 MB more than a
# 1M-row file's). Read once, when polars first reads a CSV: set before anything imports it.
os.environ.setdefault("POLARS_CSV_CHUNK_SIZE", str(2 << 20))
os.environ.setdefault("POLARS_CSV_CHUNK_PREFETCH_LIMIT", "1")
# polars' allocator (jemalloc) gives each of a scan's threads arenas of their own, by default 4 a
# core, each keeping pages it freed: one arena kept a 1M-row scan's peak 50-60 MB lower (0.91-0.94
# against 0.99-1.02 GiB) for the same CPU. Read when polars is first imported (polars adds its
# own settings before it; a process started by one that imported polars inherits them).
if "narenas" not in os.environ.get("_RJEM_MALLOC_CONF", ""):
    os.environ["_RJEM_MALLOC_CONF"] = ",".join(filter(None, [os.environ.get("_RJEM_MALLOC_CONF"), "narenas:1"]))

__all__ = ["AsyncClient", "Client", "__version__"]


def __getattr__(name: str):
    if name in ("Client", "AsyncClient"):
        from sellerkit import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'sellerkit' has no attribute {name!r}")
