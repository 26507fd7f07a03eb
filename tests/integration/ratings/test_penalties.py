"""行政处罚: kind and publicity vectors, the fact and grade, the ledger record, the public list, the import."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from honestmeter import clock
from honestmeter.errors import ValidationFailed
from honestmeter.extensions import db
from honestmeter.ledger import services as ledger
from honestmeter.merchants import uscc
from honestmeter.merchants.models import Merchant
from honestmeter.ratings.models import CreditFact, FactSource, Penalty, PenaltyKind
from honestmeter.ratings.penalties import importing as penalty_import
from honestmeter.ratings.penalties import records as penalty_records
from honestmeter.ratings.penalties import services as penalties
from tests.factories import MerchantFactory, UserFactory, newest_data

NOW = datetime(2026, 11, 23, 2, tzinfo=UTC)  # 2026-11-23 in Shanghai
LEGAL = Decimal(100_000)
PERSON = Decimal(10_000)
_rng = random.Random(92)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def person() -> Merchant:
    """A 个体工商户: USCC registration type 92."""
    return MerchantFactory(uscc=uscc.random_code(_rng, "440305", category="2"))


def facts_for(merchant: Merchant, **changes: object) -> penalties.PenaltyFacts:
    base: dict[str, object] = {
        "uscc": merchant.uscc,
        "decision_no": f"深南市监罚〔2026〕{merchant.id}号",
        "violation_type": "使用未经检定的计量器具",
        "content": "警告，并处罚款5000元",
        "fine_amount": Decimal(5000),
        "other_measures": False,
        "special_domain": False,
        "authority": "深圳市南山区市场监督管理局",
        "decided_on": date(2026, 11, 2),
    }
    return penalties.PenaltyFacts(**{**base, **changes})  # type: ignore[arg-type]


# ---------------------------------------------------------------- kind and publicity


@pytest.mark.parametrize(
    ("content", "fine", "other", "threshold", "kind"),
    [
        ("警告", None, False, LEGAL, PenaltyKind.WARNING),
        ("给予警告处罚", Decimal(0), False, LEGAL, PenaltyKind.WARNING),
        ("通报批评", None, False, LEGAL, PenaltyKind.LOW_FINE),  # Art. 13: published 3 months like a low fine
        ("警告，并处罚款", Decimal("99999.99"), False, LEGAL, PenaltyKind.LOW_FINE),
        ("罚款", Decimal(100_000), False, LEGAL, PenaltyKind.OTHER),  # at the threshold: not "below" it
        ("罚款", Decimal("9999.99"), False, PERSON, PenaltyKind.LOW_FINE),
        ("罚款", Decimal(10_000), False, PERSON, PenaltyKind.OTHER),
        ("罚款", Decimal(50_000), False, PERSON, PenaltyKind.OTHER),
        ("罚款", Decimal(50_000), False, LEGAL, PenaltyKind.LOW_FINE),
        ("警告", None, True, LEGAL, PenaltyKind.OTHER),  # the regulator ticked 其他处罚措施
        ("没收违法所得，并处罚款", Decimal(100), False, LEGAL, PenaltyKind.OTHER),
        ("没收计量器具", None, False, LEGAL, PenaltyKind.OTHER),
        ("责令停产停业", None, False, LEGAL, PenaltyKind.OTHER),
    ],
)
def test_kind_vectors(content: str, fine: Decimal | None, other: bool, threshold: Decimal, kind: PenaltyKind) -> None:
    assert penalties.derive_kind(content=content, fine_amount=fine, other_measures=other, threshold=threshold) == kind


@pytest.mark.parametrize(
    ("content", "field"), [("并处罚款", "fine_amount"), ("责令改正", "content"), ("其他", "content")]
)
def test_a_kind_that_cannot_be_told_is_refused(content: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        penalties.derive_kind(content=content, fine_amount=None, other_measures=False, threshold=LEGAL)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("kind", "decided_on", "until"),
    [
        (PenaltyKind.WARNING, date(2026, 1, 31), None),
        (PenaltyKind.LOW_FINE, date(2026, 1, 31), date(2026, 4, 30)),
        (PenaltyKind.LOW_FINE, date(2026, 11, 30), date(2027, 2, 28)),  # clamped to the month's end
        (PenaltyKind.OTHER, date(2024, 2, 29), date(2027, 2, 28)),
        (PenaltyKind.OTHER, date(2026, 11, 2), date(2029, 11, 2)),
    ],
)
def test_public_until_vectors(kind: PenaltyKind, decided_on: date, until: date | None) -> None:
    assert penalties.public_until(kind, decided_on) == until


def test_a_natural_person_has_the_lower_threshold(app: object) -> None:
    legal, individual = MerchantFactory(), person()
    assert penalties.is_natural_person(individual.uscc) and not penalties.is_natural_person(legal.uscc)
    one = penalties.record_penalty(facts_for(legal, fine_amount=Decimal(10_000), content="罚款"), None)
    two = penalties.record_penalty(facts_for(individual, fine_amount=Decimal(10_000), content="罚款"), None)
    assert (one.kind, two.kind) == (PenaltyKind.LOW_FINE, PenaltyKind.OTHER)
    assert (one.public_until, two.public_until) == (date(2027, 2, 2), date(2029, 11, 2))


# ---------------------------------------------------------------- recording


def test_a_penalty_is_a_fact_a_record_and_a_new_grade() -> None:
    merchant = MerchantFactory()
    admin = UserFactory()
    penalty = penalties.record_penalty(
        facts_for(merchant, content="罚款并没收违法所得", fine_amount=Decimal(3000)), admin
    )
    assert penalty.kind == PenaltyKind.OTHER and penalty.created_by_id == admin.id
    fact = db.session.scalar(sa.select(CreditFact).where(CreditFact.source == FactSource.PENALTY))
    assert fact is not None
    assert (fact.rule, fact.happened_on, fact.source_id, fact.ref) == (
        "penalty_other",
        date(2026, 11, 2),
        penalty.id,
        f"penalty/{penalty.id}",
    )
    assert (merchant.score, merchant.grade) == (55, "D")  # 80 − 25
    assert newest_data("penalty", str(penalty.id)) == {
        "decision_no": penalty.decision_no,
        "uscc": merchant.uscc,
        "violation_type": "使用未经检定的计量器具",
        "content": "罚款并没收违法所得",
        "fine_amount": "3000.00",
        "authority": "深圳市南山区市场监督管理局",
        "decided_on": "2026-11-02",
        "public_until": "2029-11-02",
    }
    assert dict(penalty_records.projection())[str(penalty.id)] == newest_data("penalty", str(penalty.id))


def test_a_warning_is_never_published() -> None:
    merchant = MerchantFactory()
    penalty = penalties.record_penalty(facts_for(merchant, content="警告", fine_amount=None), None)
    assert penalty.kind == PenaltyKind.WARNING and penalty.public_until is None
    assert ledger.latest_record("penalty", str(penalty.id)) is None
    assert str(penalty.id) not in dict(penalty_records.projection())
    assert penalties.public_for(merchant.id) == []
    fact = db.session.scalar(sa.select(CreditFact).where(CreditFact.source_id == penalty.id))
    assert fact is not None and fact.rule == "penalty_warning"
    assert merchant.score == 80  # zero points


def test_low_fine_costs_ten_points() -> None:
    merchant = MerchantFactory()
    penalty = penalties.record_penalty(facts_for(merchant), None)
    assert penalty.kind == PenaltyKind.LOW_FINE and (merchant.score, merchant.grade) == (70, "C")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"uscc": "91440300MA5FFFFFF0"}, "uscc"),
        ({"decided_on": date(2026, 11, 24)}, "decided_on"),
        ({"decided_on": None}, "decided_on"),
        ({"fine_amount": Decimal("-1")}, "fine_amount"),
        ({"fine_amount": Decimal("1.001")}, "fine_amount"),
        ({"violation_type": "  "}, "violation_type"),
    ],
)
def test_invalid_penalties_are_refused(changes: dict[str, object], field: str) -> None:
    merchant = MerchantFactory()
    with pytest.raises(ValidationFailed) as caught:
        penalties.record_penalty(facts_for(merchant, **changes), None)
    assert caught.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 0


def test_a_decision_number_is_recorded_once() -> None:
    merchant = MerchantFactory()
    penalties.record_penalty(facts_for(merchant), None)
    with pytest.raises(ValidationFailed) as caught:
        penalties.record_penalty(facts_for(merchant), None)
    assert caught.value.field == "decision_no"


# ---------------------------------------------------------------- the public list


def test_public_for_shows_a_penalty_from_its_day_until_public_until() -> None:
    merchant = MerchantFactory()
    low = penalties.record_penalty(facts_for(merchant, decided_on=date(2026, 9, 30)), None)  # until 2026-12-30
    penalties.record_penalty(
        facts_for(merchant, decision_no="W-1", content="警告", fine_amount=None, decided_on=date(2026, 11, 1)), None
    )
    assert low.public_until == date(2026, 12, 30)
    assert penalties.public_for(merchant.id, date(2026, 9, 29)) == []  # before the decision
    assert penalties.public_for(merchant.id, date(2026, 9, 30)) == [low]
    assert penalties.public_for(merchant.id, date(2026, 12, 29)) == [low]  # the last day shown
    assert penalties.public_for(merchant.id, date(2026, 12, 30)) == []
    assert penalties.last_public_day(low) == date(2026, 12, 29)
    with clock.frozen(datetime(2026, 12, 29, 15, 59, tzinfo=UTC)):  # 23:59 in Shanghai
        assert penalties.public_for(merchant.id) == [low]
    with clock.frozen(datetime(2026, 12, 29, 16, 0, tzinfo=UTC)):  # midnight in Shanghai: 12-30
        assert penalties.public_for(merchant.id) == []


def test_a_repaired_penalty_is_no_longer_shown() -> None:
    merchant = MerchantFactory()
    other = penalties.record_penalty(facts_for(merchant, content="没收", fine_amount=None), None)
    assert penalties.public_for(merchant.id) == [other]
    other.repaired_on = date(2026, 11, 23)
    assert penalties.public_for(merchant.id, date(2026, 11, 22)) == [other]
    assert penalties.public_for(merchant.id) == []
    assert penalties.state_of(other, date(2026, 11, 23)) == "repaired"


def test_the_regulators_list_filters_by_kind_and_state() -> None:
    merchant = MerchantFactory(name="滤镜商行")
    old = penalties.record_penalty(facts_for(merchant, decision_no="A-1", decided_on=date(2026, 1, 5)), None)
    new = penalties.record_penalty(facts_for(merchant, decision_no="A-2", content="没收", fine_amount=None), None)
    warning = penalties.record_penalty(facts_for(merchant, decision_no="A-3", content="警告", fine_amount=None), None)

    def found(**kw: object) -> list[Penalty]:
        return list(db.session.scalars(penalties.search_stmt(penalties.Filters(**kw))))  # type: ignore[arg-type]

    assert found() == [new, warning, old] or found() == [warning, new, old]
    assert found(kind="other") == [new]
    assert found(state="expired") == [old]
    assert found(state="unpublished") == [warning]
    assert set(found(state="public")) == {new}
    assert found(q="A-1") == [old]
    assert set(found(q="滤镜")) == {old, new, warning}
    assert found(since=date(2026, 11, 1), kind="low_fine") == []
    assert found(until=date(2026, 2, 1)) == [old]
    csv = penalties.export_csv(penalties.search_stmt(penalties.Filters(kind="other"))).decode("utf-8")
    assert csv.startswith("\ufeff决定书文号,") and "A-2" in csv and "A-1" not in csv


def test_the_export_keeps_formulas_as_text() -> None:
    merchant = MerchantFactory()
    penalties.record_penalty(facts_for(merchant, violation_type="=HYPERLINK(1)"), None)
    csv = penalties.export_csv(penalties.search_stmt(penalties.Filters())).decode("utf-8")
    assert "'=HYPERLINK(1)" in csv


# ---------------------------------------------------------------- import


HEADER = (
    "统一社会信用代码,决定书文号,违法行为类型,处罚内容,罚款金额（元）,其他处罚措施,食品药品特种设备,决定机关,决定日期"
)


def csv_file(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def test_an_import_records_every_row_with_facts_and_records() -> None:
    one, two = MerchantFactory(), person()
    data = csv_file(
        f"{one.uscc},I-1,使用未经检定的计量器具,警告,,否,否,南山局,2026-11-01",
        f"{two.uscc},I-2,破坏计量器具准确度,罚款20000元,20000,,是,南山局,2026/10/8",
        f"{one.uscc},I-3,计量作弊,没收作弊装置,,是,,南山局,2026年9月1日",
    )
    report = penalty_import.import_penalties(data, None)
    assert report.ok and report.imported == 3
    rows = {p.decision_no: p for p in db.session.scalars(sa.select(Penalty))}
    assert rows["I-1"].kind == PenaltyKind.WARNING
    assert rows["I-2"].kind == PenaltyKind.OTHER and rows["I-2"].special_domain  # a person's 20000 is not low
    assert rows["I-3"].decided_on == date(2026, 9, 1)
    assert ledger.latest_record("penalty", str(rows["I-1"].id)) is None
    assert ledger.latest_record("penalty", str(rows["I-2"].id)) is not None
    assert db.session.scalar(sa.select(sa.func.count(CreditFact.id))) == 3
    assert (one.score, two.score) == (55, 55)


def test_import_errors_name_row_and_column_and_import_nothing() -> None:
    one = MerchantFactory()
    penalties.record_penalty(facts_for(one, decision_no="TAKEN"), None)
    data = csv_file(
        f"{one.uscc},OK-1,类型,警告,,否,否,南山局,2026-11-01",
        f"{one.uscc},TAKEN,类型,警告,,否,否,南山局,2026-11-01",
        f"{one.uscc},OK-2,类型,罚款,abc,否,否,南山局,2026-13-01",
        "91440300MA5FFFFFF0,OK-3,类型,警告,,也许,否,南山局,2026-11-01",
        f"{one.uscc},OK-1,类型,警告,,否,否,,2026-11-01",
        f"{one.uscc},OK-4,类型,责令改正,,否,否,南山局,2026-11-01",
    )
    report = penalty_import.import_penalties(data, None)
    assert not report.ok and report.imported == 0
    texts = [e.text() for e in report.errors]
    assert "第3行“决定书文号”：决定书文号 TAKEN 已登记" in texts
    assert "第4行“罚款金额（元）”：“abc”不是有效的金额" in texts
    assert any(t.startswith("第4行“决定日期”：“2026-13-01”不是有效的日期") for t in texts)
    assert "第5行“其他处罚措施”：“也许”应填写“是”或“否”" in texts
    assert "第6行“决定机关”：必须填写" in texts
    assert "第6行“决定书文号”：与第2行的决定书文号重复" in texts
    assert any(t.startswith("第7行“处罚内容”：无法判断处罚种类") for t in texts)
    assert db.session.scalar(sa.select(sa.func.count(Penalty.id))) == 1  # only the one recorded before


def test_an_unknown_merchant_is_named_by_row() -> None:
    report = penalty_import.import_penalties(
        csv_file("91440300MA5FFFFFF0,X-1,类型,警告,,否,否,南山局,2026-11-01"), None
    )
    assert [e.text() for e in report.errors] == [
        "第2行“统一社会信用代码”：检查对象名录中没有统一社会信用代码为 91440300MA5FFFFFF0 的经营者"
    ]


def test_an_import_from_excel_with_date_cells() -> None:
    merchant = MerchantFactory()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(penalty_import.HEADERS)
    sheet.append([merchant.uscc, "X-9", "类型", "罚款", 5000.0, "否", "否", "南山局", date(2026, 10, 1)])
    out = io.BytesIO()
    book.save(out)
    report = penalty_import.import_penalties(out.getvalue(), None)
    assert report.ok and report.imported == 1
    penalty = db.session.scalar(sa.select(Penalty).where(Penalty.decision_no == "X-9"))
    assert penalty is not None and penalty.fine_amount == Decimal("5000.00") and penalty.kind == PenaltyKind.LOW_FINE


def test_a_file_without_the_columns_is_refused_as_a_whole() -> None:
    report = penalty_import.import_penalties("统一社会信用代码,决定书文号\nX,Y\n".encode(), None)
    assert not report.ok and report.errors[0].row == 1 and "表头缺少列" in report.errors[0].message
    template = penalty_import.csv_template().decode("utf-8-sig")
    assert template.splitlines()[0] == HEADER
    example = penalty_import.import_penalties(penalty_import.csv_template(), None)
    assert [e.text() for e in example.errors] == ["第2行：这是模板中的示例行，请删除后再导入"]
