"""Review and publication of results, follow-up (rectification orders, 09, abnormal-list proposals), notices."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("results", __name__)
