"""Plans, the check-item list, recusals and draws (admin), recusal requests (inspector, merchant), the public draw page and its API."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("plans", __name__)
