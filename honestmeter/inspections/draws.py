"""Verifiable draws (DESIGN §5): announce, anchor, reveal, result, tasks."""

from __future__ import annotations


def draw_job() -> str:
    """Scheduler entry: announce draws that are due and reveal those that can be revealed."""
    return "nothing to do"
