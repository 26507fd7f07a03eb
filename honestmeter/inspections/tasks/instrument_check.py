"""Verdict of an on-site check of one measuring instrument (pure: no Flask, no SQLAlchemy).

Three facts are judged, each independently, so the inspector sees every failure at once: the serial number on the
instrument matches the ledger, the verification is valid, and the indication error measured on site is within the
maximum permissible error (MPE, absolute, same unit as the error; |error| = MPE still passes). An error that was
not measured is noted as "未测量", not failed: an inspector cannot test every instrument on every visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from honestmeter.inspections.codes import Reason
from honestmeter.tables import N_

__all__ = ["InstrumentVerdict", "judge_instrument"]


@dataclass(frozen=True)
class InstrumentVerdict:
    passed: bool
    measured: bool  # an error was measured and compared with the MPE
    reasons: tuple[Reason, ...]  # why it failed; empty when it passed
    notes: tuple[Reason, ...]  # worth recording, but not a failure


def judge_instrument(
    *,
    serial_found: bool,
    verification_valid: bool,
    measured_error: Decimal | None,
    mpe: Decimal | None,
) -> InstrumentVerdict:
    """Judge one instrument; ValueError for a negative or non-finite MPE or error (a data-entry bug, not a finding)."""
    for name, value in (("measured_error", measured_error), ("mpe", mpe)):
        if value is not None and (not isinstance(value, Decimal) or not value.is_finite()):
            raise ValueError(f"{name} must be a finite Decimal, got {value!r}")
    if mpe is not None and mpe < 0:
        raise ValueError(f"mpe is an absolute bound and cannot be negative, got {mpe}")

    reasons: list[Reason] = []
    notes: list[Reason] = []
    if not serial_found:
        reasons.append(Reason.of(N_("现场未找到与台账一致的器具出厂编号")))
    if not verification_valid:
        reasons.append(Reason.of(N_("计量器具未经检定或已超过检定有效期")))
    measured = measured_error is not None and mpe is not None
    if measured_error is not None and mpe is not None:
        if abs(measured_error) > mpe:
            reasons.append(Reason.of(N_("示值误差 %(error)s 超出最大允许误差 ±%(mpe)s"), error=measured_error, mpe=mpe))
    elif mpe is not None:
        notes.append(Reason.of(N_("未测量示值误差（最大允许误差 ±%(mpe)s）"), mpe=mpe))
    elif measured_error is not None:
        notes.append(Reason.of(N_("示值误差为 %(error)s，但未给出最大允许误差，未作判定"), error=measured_error))
    return InstrumentVerdict(passed=not reasons, measured=measured, reasons=tuple(reasons), notes=tuple(notes))
