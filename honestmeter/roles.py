"""Who a user is to the system. A core vocabulary (no Flask, no SQLAlchemy): the access rules in `security` and
the accounts in `auth` both speak it, and the ledger's routes are guarded by it without knowing about accounts."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    INSPECTOR = "inspector"
    MERCHANT = "merchant"
