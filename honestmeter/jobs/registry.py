"""Periodic jobs declared as data, with stable ids, so a restart never duplicates or orphans one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str  # "module:function", imported when the job runs
    trigger: str  # "interval" or "cron"
    trigger_args: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    run_at_start: bool = False  # also run once as soon as the scheduler starts


_SPECS: dict[str, JobSpec] = {}


def register(spec: JobSpec) -> None:
    """Domains contribute their jobs from init_app; re-registering the same id replaces it."""
    _SPECS[spec.id] = spec


def specs() -> list[JobSpec]:
    return sorted(_SPECS.values(), key=lambda s: s.id)
