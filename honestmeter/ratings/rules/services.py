"""Versioned grading rule tables: the highest version is in force, every version is kept and is a ledger record.

Until a regulator publishes one, the DESIGN §6 defaults are version 1. `ensure_seeded` stores that version with its
ledger record ("rating_rules", id = version); the nightly recompute and the first edit call it, so a grade's rule
version can be looked up in the log. Every later version is stored and recorded when it is published.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.auth.models import User
from honestmeter.db import unit_of_work
from honestmeter.errors import NotFound, ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import LedgerEntry
from honestmeter.ratings.models import RuleTable
from honestmeter.scoring import DEFAULT_RULES, Rule, RuleSet
from honestmeter.tables import N_

RECORD_TYPE = "rating_rules"


def current_table() -> RuleTable | None:
    return db.session.scalars(sa.select(RuleTable).order_by(RuleTable.version.desc())).first()


def current() -> RuleSet:
    """The rules in force (the seeded DESIGN §6 defaults until a regulator publishes a new version)."""
    table = current_table()
    return DEFAULT_RULES if table is None else RuleSet.from_json(table.body)


def versions() -> list[RuleTable]:
    return list(db.session.scalars(sa.select(RuleTable).order_by(RuleTable.version.desc())))


def authors(tables: list[RuleTable]) -> dict[int, str]:
    """version → who published it (display name); the seeded defaults have no author."""
    ids = {t.created_by_id for t in tables if t.created_by_id is not None}
    if not ids:
        return {}
    names = dict(db.session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids))).tuples().all())
    return {t.version: names[t.created_by_id] for t in tables if t.created_by_id in names}


def get(version: int) -> RuleSet | None:
    table = db.session.get(RuleTable, version)
    return None if table is None else RuleSet.from_json(table.body)


def get_table(version: int) -> RuleTable:
    table = db.session.get(RuleTable, version)
    if table is None:
        raise NotFound("没有该版本的评级规则")
    return table


def cause_of(version: int) -> str:
    """The cause grade changes name when a rule table is applied: its ledger record ("rating_rules/2")."""
    return f"{RECORD_TYPE}/{version}"


def leaf_hashes() -> dict[int, str]:
    """version → leaf hash (hex) of its ledger record, for the verify links."""
    rows = db.session.execute(
        sa.select(LedgerEntry.record_id, LedgerEntry.leaf_hash).where(LedgerEntry.record_type == RECORD_TYPE)
    )
    return {int(record_id): leaf.hex() for record_id, leaf in rows if record_id.isdigit()}


def record(table: RuleTable) -> ledger.Record:
    return ledger.Record(RECORD_TYPE, str(table.version), record_data(table))


def record_data(table: RuleTable) -> dict[str, Any]:
    return {"rules": table.body, "note": table.note, "published_at": table.created_at.isoformat()}


def ensure_seeded() -> None:
    """Store the defaults as version 1, with its ledger record, if no version is stored yet (caller's transaction)."""
    if current_table() is None:
        table = RuleTable(version=1, body=DEFAULT_RULES.to_json(), note="DESIGN §6", created_at=clock.utcnow())
        db.session.add(table)
        db.session.flush()
        ledger.append(record(table))


def projection() -> Iterator[tuple[str, dict[str, Any]]]:
    for table in reversed(versions()):
        yield str(table.version), record_data(table)


def next_version() -> int:
    return int(db.session.scalar(sa.select(sa.func.max(RuleTable.version))) or 0) + 1


def add_version(body: dict[str, Any], note: str, by_id: int | None) -> RuleTable:
    """Validate and store a new version with its ledger record, inside the caller's transaction."""
    ensure_seeded()
    version = next_version()
    parsed = RuleSet.from_json({**body, "version": version})  # ValueError names the bad field
    table = RuleTable(version=version, body=parsed.to_json(), note=note, created_at=clock.utcnow(), created_by_id=by_id)
    db.session.add(table)
    db.session.flush()
    ledger.append(record(table))
    return table


# ---------------------------------------------------------------- publishing a version (admin)

# RuleSet.from_json's English ValueErrors → what the form says, and next to which field.
_PROBLEMS: tuple[tuple[str, str, str | None], ...] = (
    ("expected an integer", N_("请填写整数"), None),
    ("window_months must be positive", N_("计分期限须为正整数（月），或留空表示情形存续期间持续计分"), "window_months"),
    ("repair_after_months must be", N_("可申请信用修复的期限只适用于扣分规则，且不能为负数"), "repair_after_months"),
    ("must be non-zero and have the sign", N_("累计上限不能为 0，且须与分值同号（加分为正，扣分为负）"), "cap"),
    (
        "cutoffs must be strictly descending",
        N_("等级分数线须从高到低严格递减，最高不超过 100，最低一级为 0"),
        "cutoffs",
    ),
    ("base must be within", N_("基础分须在 0 到 100 之间"), "base"),
    ("serious_list_grade", N_("请选择等级表中的等级"), "serious_list_grade"),
    ("abnormal_list_best", N_("请选择等级表中的等级"), "abnormal_list_best"),
)
_RULE_FIELD = re.compile(r"rules\[(\d+)\](?:\.(\w+))?")
_CUTOFF_FIELD = re.compile(r"cutoffs\[(\d+)\](?:\.(\w+))?")
RULE_FIELDS = ("points", "cap", "window_months", "repair_after_months")


def problem(err: ValueError) -> ValidationFailed:
    """A rule table's ValueError as a ValidationFailed naming the form field: "base", "rules-3-cap",
    "cutoffs-1-min", "cutoffs", "serious_list_grade" …"""
    text = str(err)
    message, name = N_("评级规则有误：%(detail)s") % {"detail": text}, None
    for needle, friendly, field in _PROBLEMS:
        if needle in text:
            message, name = friendly, field
            break
    if m := _RULE_FIELD.search(text):
        attribute = m.group(2) or name or next((f for f in RULE_FIELDS if f in text), None)
        return ValidationFailed(message, field=f"rules-{m.group(1)}-{attribute}" if attribute else "rules")
    if m := _CUTOFF_FIELD.search(text):
        return ValidationFailed(message, field=f"cutoffs-{m.group(1)}-{m.group(2) or 'min'}")
    return ValidationFailed(message, field=name)


def check(body: dict[str, Any]) -> RuleSet:
    """Validate an edited table against the one in force: the same rules (codes and labels are the engine's, only
    the numbers are edited) and the same grades, then RuleSet.from_json. ValidationFailed names the field."""
    current_rules = current()
    if [r.get("code") for r in body.get("rules", [])] != [r.code for r in current_rules.rules]:
        raise ValidationFailed(N_("评级规则的事项与现行版本不一致，请重新打开编辑页面"), field="rules")
    if [c.get("grade") for c in body.get("cutoffs", [])] != [g for g, _ in current_rules.cutoffs]:
        raise ValidationFailed(N_("等级与现行版本不一致，请重新打开编辑页面"), field="cutoffs")
    labels = {r.code: r.label for r in current_rules.rules}
    body = {**body, "rules": [{**r, "label": labels[r["code"]]} for r in body["rules"]], "version": 0}
    try:
        return RuleSet.from_json(body)
    except ValueError as err:
        raise problem(err) from err


def publish_version(body: dict[str, Any], note: str, by: User) -> RuleTable:
    """Publish a new version: checked, stored, and a "rating_rules" ledger record in the same transaction. Applying it
    to the merchants is grades.recompute.publish_rules."""
    note = note.strip()
    if not note:
        raise ValidationFailed(N_("请填写修订说明"), field="note")
    parsed = check(body)
    with unit_of_work(db.session):
        if parsed.to_json() | {"version": 0} == current().to_json() | {"version": 0}:
            raise ValidationFailed(N_("与现行版本完全相同，无需发布"), field="note")
        return add_version(parsed.to_json(), note[:500], by.id)


# ---------------------------------------------------------------- comparing versions


@dataclass(frozen=True)
class Change:
    what: str  # msgid with %(…)s placeholders
    before: str
    after: str
    subject: str = ""  # what it is about: a rule's label (msgid) or a grade letter


def _show(value: int | None, none: str = "—") -> str:
    return none if value is None else str(value)


def compare(before: RuleSet | None, after: RuleSet) -> list[Change]:
    """What `after` changed against `before`, line by line (base, each rule's numbers, cut-offs, list grades)."""
    if before is None:
        return []
    out: list[Change] = []
    if before.base != after.base:
        out.append(Change(N_("基础分"), str(before.base), str(after.base)))
    old = {r.code: r for r in before.rules}
    fields: tuple[tuple[str, str], ...] = (
        ("points", N_("分值")),
        ("cap", N_("累计上限")),
        ("window_months", N_("计分期限（月）")),
        ("repair_after_months", N_("可申请修复（月）")),
    )
    for rule in after.rules:
        was: Rule | None = old.get(rule.code)
        if was is None:
            out.append(Change(N_("新增规则"), "—", str(rule.points), rule.label))
            continue
        for attribute, name in fields:
            a, b = getattr(was, attribute), getattr(rule, attribute)
            if a != b:
                out.append(Change(name, _show(a), _show(b), rule.label))
    for code in old.keys() - {r.code for r in after.rules}:
        out.append(Change(N_("删除规则"), str(old[code].points), "—", old[code].label))
    floors_before = dict(before.cutoffs)
    for g, minimum in after.cutoffs:
        if floors_before.get(g) != minimum:
            out.append(Change(N_("等级分数线"), _show(floors_before.get(g)), str(minimum), g))
    if before.serious_list_grade != after.serious_list_grade:
        out.append(Change(N_("列入严重违法失信名单的等级"), before.serious_list_grade, after.serious_list_grade))
    if before.abnormal_list_best != after.abnormal_list_best:
        out.append(Change(N_("列入经营异常名录的最高等级"), before.abnormal_list_best, after.abnormal_list_best))
    return out
