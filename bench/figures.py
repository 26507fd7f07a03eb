"""What every benchmark prints: figures with their bar and verdict, a section per part, a Markdown summary."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    measured: str
    bar: str
    ok: bool | None  # None: no bar, informative only

    @property
    def verdict(self) -> str:
        return "—" if self.ok is None else ("PASS" if self.ok else "FAIL")


FIGURES: list[Figure] = []


def report(name: str, measured: str, bar: str = "", ok: bool | None = None) -> None:
    figure = Figure(name, measured, bar or "—", ok)
    FIGURES.append(figure)
    tail = f"   [bar {figure.bar}: {figure.verdict}]" if ok is not None else ""
    print(f"  {name}: {measured}{tail}", flush=True)


def section(title: str) -> None:
    # Other work on the machine moves these figures a lot on 2 cores: show it with each section.
    print(f"\n== {title} (load average {os.getloadavg()[0]:.2f})", flush=True)


def summary() -> None:
    print("\n| figure | measured | bar | result |\n|---|---|---|---|")
    for f in FIGURES:
        print(f"| {f.name} | {f.measured} | {f.bar} | {f.verdict} |")
