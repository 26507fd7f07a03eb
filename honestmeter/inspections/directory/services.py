"""Use cases of the inspector directory (执法检查人员名录库)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from honestmeter.auth import services as auth_services
from honestmeter.auth.models import AccountStatus, User
from honestmeter.db import unit_of_work
from honestmeter.errors import NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.inspections.models import Inspector
from honestmeter.merchants.models import Region
from honestmeter.roles import Role


@dataclass(frozen=True)
class InspectorFacts:
    name: str
    badge_number: str
    region_code: str
    specialties: list[str]
    phone: str | None = None


def add_inspector(facts: InspectorFacts, *, username: str, password: str) -> Inspector:
    """Enter an inspector into the directory together with the account they sign in with."""
    with unit_of_work(db.session):
        if db.session.get(Region, facts.region_code) is None:
            raise ValidationFailed("行政区划代码不存在（GB/T 2260）", field="region_code")
        badge = facts.badge_number.strip().upper()
        if db.session.scalar(sa.select(Inspector.id).where(Inspector.badge_number == badge)):
            raise ValidationFailed("执法证号已存在", field="badge_number")
        user = auth_services.new_user(
            username=username,
            password=password,
            role=Role.INSPECTOR,
            display_name=facts.name,
            status=AccountStatus.ACTIVE,
            phone=facts.phone,
        )
        inspector = Inspector(
            user=user,
            badge_number=badge,
            name=facts.name.strip(),
            region_code=facts.region_code,
            specialties=sorted({s.strip() for s in facts.specialties if s.strip()}),
            active=True,
        )
        db.session.add(inspector)
        return inspector


def set_inspector_active(inspector_id: int, *, active: bool) -> Inspector:
    """Take an inspector out of (or back into) the draw pool; their account follows."""
    with unit_of_work(db.session):
        inspector = db.session.get(Inspector, inspector_id)
        if inspector is None:
            raise NotFound("检查人员不存在")
        inspector.active = active
        inspector.user.status = AccountStatus.ACTIVE if active else AccountStatus.DISABLED
        return inspector


def profile_of(user: User) -> Inspector | None:
    return db.session.scalar(sa.select(Inspector).where(Inspector.user_id == user.id))


def directory() -> list[Inspector]:
    return list(db.session.scalars(sa.select(Inspector).order_by(Inspector.active.desc(), Inspector.badge_number)))
