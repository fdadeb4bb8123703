"""Amazon's selling fees, computed locally from published schedules (see `schedules/`)."""

from sellerkit.domain.fees.engine import (APPAREL_CATEGORIES, FeeBreakdown, FeeOptions, Package, compute, fees_for,
                                         size_tier, tier_title)
from sellerkit.domain.fees.schedule import FeeError, Schedule, available, schedule_for

__all__ = ["APPAREL_CATEGORIES", "FeeBreakdown", "FeeError", "FeeOptions", "Package", "Schedule", "available", "compute",
           "fees_for", "schedule_for", "size_tier", "tier_title"]
