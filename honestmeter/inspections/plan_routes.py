"""Plans, check items, recusals and draws (admin); recusal requests; the public draw page and its API."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("plans", __name__)
