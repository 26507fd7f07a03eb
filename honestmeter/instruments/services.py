"""Use cases for the instrument-type catalogue."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from honestmeter.db import unit_of_work
from honestmeter.errors import NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.instruments.models import CycleKind, InstrumentType, VerificationMode


@dataclass(frozen=True)
class TypeFacts:
    code: str
    name: str
    category: str
    mode: VerificationMode
    cycle_kind: CycleKind
    cycle_months: int | None
    service_life_months: int | None
    regulation: str | None
    note: str | None
    active: bool


def _check(facts: TypeFacts) -> None:
    if facts.cycle_kind is CycleKind.PERIODIC and not facts.cycle_months:
        raise ValidationFailed("周期检定的器具必须填写检定周期", field="cycle_months")
    if facts.cycle_kind is CycleKind.FIXED_LIFE and not facts.service_life_months:
        raise ValidationFailed("限期使用的器具必须填写使用期限", field="service_life_months")
    if facts.mode is VerificationMode.P and facts.cycle_kind is not CycleKind.NONE:
        raise ValidationFailed("仅型式批准（P）的器具不实行强制检定", field="cycle_kind")


def save_instrument_type(type_id: int | None, facts: TypeFacts) -> InstrumentType:
    """Add a catalogue entry or change one; cycles follow the JJG regulation in force."""
    _check(facts)
    with unit_of_work(db.session):
        clash = db.session.scalar(sa.select(InstrumentType.id).where(InstrumentType.code == facts.code))
        if clash is not None and clash != type_id:
            raise ValidationFailed("代码已被使用", field="code")
        item = InstrumentType() if type_id is None else get_instrument_type(type_id)
        for key, value in facts.__dict__.items():
            setattr(item, key, value)
        if facts.cycle_kind is not CycleKind.PERIODIC:
            item.cycle_months = None
        if facts.cycle_kind is not CycleKind.FIXED_LIFE:
            item.service_life_months = None
        db.session.add(item)
        return item


def get_instrument_type(type_id: int) -> InstrumentType:
    item = db.session.get(InstrumentType, type_id)
    if item is None:
        raise NotFound("器具类型不存在")
    return item
