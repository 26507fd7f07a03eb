"""Inspector task list and on-site findings; regulators' directed tasks and task overview."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tasks", __name__)
