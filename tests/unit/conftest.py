"""Unit tests build no app and no database: the root conftest's autouse fixtures are replaced by no-ops here."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def db_session() -> None:
    """No SAVEPOINT to open: unit tests touch no database."""


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """No app, so no rate limiter to reset."""
