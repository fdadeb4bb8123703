"""sellerkit: a self-hosted platform for marketplace sellers."""

__version__ = "0.1.0"
