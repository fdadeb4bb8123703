"""sellerkit: a self-hosted platform for marketplace sellers.

`sellerkit.Client` and `sellerkit.AsyncClient` are the Python SDK (`sellerkit.sdk`), imported on
first use so the server does not load them.
"""

__version__ = "0.1.0"

__all__ = ["AsyncClient", "Client", "__version__"]


def __getattr__(name: str):
    if name in ("Client", "AsyncClient"):
        from sellerkit import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'sellerkit' has no attribute {name!r}")
