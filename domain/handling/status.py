"""Where a case stands in routing 办理状态."""

from __future__ import annotations

__all__ = ["Status"]


class Status:
    """Where a case stands 办理状态 (stored as these codes)."""

    OPEN = "open"  # being handled by its holder
    CONCLUDED = "concluded"  # conclusion recorded, not yet archived
    UNDER_REVIEW = "under_review"  # reported back, held by the assigning office
    ARCHIVED = "archived"  # closed for good
    HANDED_OVER = "handed_over"  # handed over to a body outside the system
