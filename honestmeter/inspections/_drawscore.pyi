# Types of the C extension built from _drawscore.c (see honestmeter/inspections/draw.py, Backend).
from collections.abc import Sequence

def select(key: bytes, label: bytes, ids: Sequence[str], k: int, threads: int, /) -> tuple[list[int], bytes]: ...
def assign(
    key: bytes,
    label: bytes,
    cases: Sequence[str],
    inspectors: Sequence[str],
    conflicts: Sequence[tuple[int, int]],
    per_case: int,
    capacity: int,
    threads: int,
    /,
) -> list[tuple[int, ...] | None]: ...
