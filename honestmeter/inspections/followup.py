"""Follow-up of completed tasks: 责令改正 and re-inspection, 09 open until closed, 10 → abnormal list."""

from __future__ import annotations

from honestmeter.inspections.models import Task


def on_completed(task: Task) -> None:
    """Called inside the transaction in which a task's finding becomes confirmed by all inspectors."""
