"""Realistic, reproducible demo data: the directory, instruments, and an account for every role.

Everything derives from one `random.Random(seed)`, so the same seed gives the same data on any
machine. Rows go in with set-based bulk inserts in batches: 100,000 merchants take seconds, not
minutes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa
from faker import Faker
from tqdm import tqdm

from honestmeter import clock
from honestmeter.auth import passwords
from honestmeter.auth.models import AccountStatus, User
from honestmeter.chinatime import add_months
from honestmeter.commitments import records as commitment_records
from honestmeter.commitments import services as commitment_services
from honestmeter.commitments.models import Commitment, CommitmentStatus, CommitmentTemplate
from honestmeter.db import insert_plain
from honestmeter.extensions import db
from honestmeter.inspections.models import Inspector
from honestmeter.instruments import records as instrument_records
from honestmeter.instruments.cycle import next_due
from honestmeter.instruments.models import (
    Instrument,
    InstrumentStatus,
    InstrumentType,
    InstrumentUse,
    InstrumentVerification,
    VerificationResult,
)
from honestmeter.ledger import services as ledger
from honestmeter.merchants import initials, uscc
from honestmeter.merchants import records as merchant_records
from honestmeter.merchants.models import Merchant, MerchantStatus, Region
from honestmeter.roles import Role

BATCH = 5000

# Documented in README.md; demo data is for evaluation and training only.
ADMIN = ("admin", "Admin@2026")
INSPECTOR_PASSWORD = "Inspector@2026"
MERCHANT_PASSWORD = "Merchant@2026"
INSPECTORS = 20
MERCHANT_ACCOUNTS = 10
PENDING_ACCOUNTS = 3

# sector code → (weight, name suffixes, USCC category 1 企业 / 2 个体工商户, instrument mix)
SECTORS: dict[str, tuple[int, Sequence[str], str, Sequence[tuple[str, int, int]]]] = {
    "market": (22, ("农贸市场", "菜市场", "水产摊位", "肉类摊位", "果蔬店"), "2", (("price_scale", 1, 4),)),
    "fuel": (6, ("加油站", "加油加气站"), "1", (("fuel_dispenser", 4, 10),)),
    "catering": (
        20,
        ("餐厅", "饭店", "酒家", "火锅店", "面馆"),
        "2",
        (("price_scale", 0, 2), ("gas_meter", 0, 1)),
    ),
    "retail": (
        20,
        ("超市", "便利店", "商行", "购物中心"),
        "1",
        (("price_scale", 1, 6), ("platform_scale", 0, 1)),
    ),
    "optical": (6, ("眼镜店", "眼镜中心", "视光中心"), "1", (("refractometer", 1, 2), ("lensmeter", 1, 2))),
    "medical": (
        6,
        ("诊所", "医院", "卫生院", "门诊部"),
        "1",
        (("sphygmomanometer", 1, 6), ("tonometer", 0, 1)),
    ),
    "ev_charging": (5, ("充电站", "新能源充电站"), "1", (("ev_ac_charger", 2, 8), ("ev_dc_charger", 0, 4))),
    "prepackaged": (
        5,
        ("食品有限公司", "粮油有限公司", "茶业有限公司"),
        "1",
        (("balance", 1, 3), ("platform_scale", 0, 2)),
    ),
    "transport": (4, ("出租汽车有限公司", "汽车客运有限公司"), "1", (("taxi_meter", 5, 20),)),
    "other": (
        6,
        ("水务有限公司", "燃气有限公司", "物业服务中心"),
        "1",
        (("water_meter", 2, 10), ("electricity_meter", 1, 5)),
    ),
}
BRANDS = [
    "华联",
    "惠民",
    "鑫源",
    "永辉",
    "金穗",
    "百佳",
    "和兴",
    "顺发",
    "东方",
    "新华",
    "利民",
    "安康",
    "明亮",
    "晨光",
    "瑞丰",
    "福满",
    "嘉禾",
    "通达",
    "宏达",
    "万家",
]
MAKERS = (
    "上海友声衡器有限公司",
    "广州市凯丰衡器有限公司",
    "正星科技股份有限公司",
    "托肯恒山科技有限公司",
    "宁波水表股份有限公司",
    "重庆前卫科技集团有限公司",
    "许继电源有限公司",
    "鱼跃医疗设备股份有限公司",
)


MERCHANTS = cast(sa.Table, Merchant.__table__)
INSTRUMENTS = cast(sa.Table, Instrument.__table__)
COMMITMENTS = cast(sa.Table, Commitment.__table__)


@dataclass(frozen=True)
class NewMerchant:
    id: int
    sector_code: str


def _insert(table: sa.Table, rows: Sequence[dict[str, Any]], key: tuple[str, ...]) -> list[int]:
    """Insert rows with one Core executemany and return their new ids, in order, found by a unique key.

    INSERT … RETURNING in parameter order would run one statement per row on SQLite (SQLAlchemy
    cannot otherwise promise the order), which made demo-data several times slower.
    """
    now = clock.utcnow()
    stamps = {c: now for c in ("created_at", "updated_at") if c in table.c and c not in rows[0]}
    insert_plain(db.session, table, list(rows), **stamps)
    scope = key[0]
    values = sorted({row[scope] for row in rows})
    found: dict[tuple[Any, ...], int] = {}
    for start in range(0, len(values), 900):  # stay under SQLite's bound-parameter limit
        query = sa.select(table.c.id, *(table.c[k] for k in key)).where(table.c[scope].in_(values[start : start + 900]))
        found.update({tuple(row[1:]): row[0] for row in db.session.execute(query)})
    return [found[tuple(row[k] for k in key)] for row in rows]


def has_merchants() -> bool:
    return db.session.scalar(sa.select(sa.func.count(Merchant.id))) != 0


@dataclass(frozen=True)
class Pools:
    """Faker output drawn once per run; rows then pick from it (Faker per row would dominate the run)."""

    people: list[str]
    surnames: list[str]
    addresses: list[str]
    phones: list[str]

    @classmethod
    def make(cls, fake: Faker, size: int = 3000) -> Pools:
        return cls(
            people=[fake.name() for _ in range(size)],
            surnames=[fake.last_name() for _ in range(size // 10)],
            addresses=[fake.street_address() for _ in range(size)],
            phones=[fake.phone_number() for _ in range(size)],
        )


def _merchant_rows(
    rng: random.Random, pools: Pools, count: int, regions: list[str], taken: set[str]
) -> list[dict[str, Any]]:
    """`count` merchants with unique valid USCCs (adding each new code to `taken`)."""
    sectors = list(SECTORS)
    weights = [SECTORS[s][0] for s in sectors]
    statuses = list(MerchantStatus)
    rows = []
    for _ in range(count):
        sector = rng.choices(sectors, weights)[0]
        _, suffixes, category, _ = SECTORS[sector]
        region = rng.choice(regions)
        code = uscc.random_code(rng, region, category=category)
        while code in taken:
            code = uscc.random_code(rng, region, category=category)
        taken.add(code)
        person = rng.choice(pools.people)
        name = f"{rng.choice(BRANDS)}{rng.choice(pools.surnames)}{rng.choice(suffixes)}{rng.randint(1, 99)}号"
        rows.append(
            {
                "uscc": code,
                "name": name,
                "name_initials": initials.name_initials(name),
                "sector_code": sector,
                "region_code": region,
                "address": rng.choice(pools.addresses),
                "legal_representative": person,
                "contact_name": person,
                "contact_phone": rng.choice(pools.phones),
                "status": rng.choices(statuses, (95, 3, 2))[0],
                "uscc_override": False,
            }
        )
    return rows


def _instrument_rows(
    rng: random.Random, merchants: Sequence[tuple[int, str]], types: dict[str, InstrumentType], today: date
) -> list[dict[str, Any]]:
    rows = []
    for merchant_id, sector in merchants:
        for type_code, low, high in SECTORS[sector][3]:
            kind = types[type_code]
            for n in range(rng.randint(low, high)):
                # Most instruments are in date; about one in six is overdue and one in fifty never verified.
                roll = rng.random()
                last = None
                if roll > 0.02:
                    months = kind.cycle_months or kind.service_life_months or 12
                    age = rng.randint(0, int(months * 30.4 * (1.25 if roll < 0.18 else 0.95)))
                    last = today - timedelta(days=age)
                # Periodic instruments were first verified years before their latest verification.
                first = (
                    last - timedelta(days=365 * rng.randint(0, 5)) if last and kind.cycle_kind == "periodic" else last
                )
                rows.append(
                    {
                        "merchant_id": merchant_id,
                        "type_id": kind.id,
                        "serial_number": f"{type_code[:2].upper()}{merchant_id:07d}{n:03d}",
                        "maker": rng.choice(MAKERS),
                        "model": f"{rng.choice('ABCDEKLMT')}{rng.randint(10, 990)}",
                        "location": rng.choice(("收银台", "1号摊位", "前厅", "加油岛", "诊室", "验光室", "停车场")),
                        "use": InstrumentUse.MEDICAL if sector in ("medical", "optical") else InstrumentUse.TRADE,
                        "status": InstrumentStatus.RETIRED if rng.random() < 0.02 else InstrumentStatus.IN_USE,
                        "first_verified_on": first,
                        "last_verified_on": last,
                        "certificate_no": f"JD{last:%Y%m}{rng.randint(0, 99999):05d}" if last else None,
                        "next_due_on": next_due(
                            kind.cycle_kind,
                            cycle_months=kind.cycle_months,
                            service_life_months=kind.service_life_months,
                            first_verified_on=first,
                            last_verified_on=last,
                        ),
                        "failed_on": None,  # set by _fail_some, from its own random stream
                    }
                )
    return rows


VERIFYING_BODIES = (
    "广东省计量科学研究院",
    "深圳市计量质量检测研究院",
    "北京市计量检测科学研究院",
    "上海市计量测试技术研究院",
    "浙江省计量科学研究院",
    "河南省计量测试科学研究院",
    "湖北省计量测试技术研究院",
    "四川省计量测试研究院",
)
# Verification history rows are written for the instruments of the first this-many merchants of a run
# (all of them in a default `make run`): about 1.7 rows per instrument cost about 5 s per 25,000
# merchants, which would push `--merchants 100000` well past its one-minute budget.
HISTORY_MERCHANTS = 5_000


def _fail_some(
    rng: random.Random, rows: Sequence[dict[str, Any]], types: dict[int, InstrumentType], today: date
) -> None:
    """About one in eighty verified in-use mandatory instruments failed a verification since its last pass."""
    for row in rows:
        last = row["last_verified_on"]
        if (
            last is not None
            and last < today
            and row["status"] is InstrumentStatus.IN_USE
            and types[row["type_id"]].mandatory
            and rng.random() < 0.0125
        ):
            row["failed_on"] = last + timedelta(days=rng.randint(1, (today - last).days))


def _verification_rows(
    rng: random.Random, ids: Sequence[int], rows: Sequence[dict[str, Any]], types: dict[int, InstrumentType]
) -> list[dict[str, Any]]:
    """The verifications behind each instrument's current facts: its last pass, the pass one cycle
    before it (periodic types verified that long ago), and the failure that marks it, if any."""
    now = clock.utcnow()
    history = []
    for instrument_id, row in zip(ids, rows, strict=True):
        last, first = row["last_verified_on"], row["first_verified_on"]
        if last is None:
            continue
        body = rng.choice(VERIFYING_BODIES)
        passes = [(last, row["certificate_no"])]
        kind = types[row["type_id"]]
        if kind.cycle_kind == "periodic" and kind.cycle_months and first is not None:
            earlier = add_months(last, -kind.cycle_months)
            if earlier >= first:
                passes.append((earlier, f"JD{earlier:%Y%m}{rng.randint(0, 99999):05d}"))
        results = [(day, number, VerificationResult.PASS) for day, number in passes]
        if row["failed_on"] is not None:
            failed = row["failed_on"]
            results.append((failed, f"TZ{failed:%Y%m}{rng.randint(0, 99999):05d}", VerificationResult.FAIL))
        history += [
            {
                "instrument_id": instrument_id,
                "verified_on": day,
                "verifying_body": body,
                "certificate_no": number,
                "result": result,
                "recorded_by_id": None,
                "created_at": now,
            }
            for day, number, result in results
        ]
    return history


SIGNER_TITLES = ("法定代表人", "负责人", "店长", "总经理")
REVOKE_REASONS = ("经营场所变更，重新签署", "经营者申请撤销", "抽查发现违反承诺，监管部门撤销")


def _commitments(
    rng: random.Random,
    created: Sequence[Any],
    rows: Sequence[dict[str, Any]],
    templates: dict[str, CommitmentTemplate],
    today: date,
) -> list[ledger.Record]:
    """About half the merchants have signed: most valid, some expiring, expired or revoked."""
    chosen = [
        (merchant, row)
        for merchant, row in zip(created, rows, strict=True)
        if row["status"] == MerchantStatus.ACTIVE and rng.random() < 0.5
    ]
    if not chosen:
        return []
    months = 12
    values = []
    for merchant, row in chosen:
        roll = rng.random()
        if roll < 0.70:  # valid, signed within the last ten and a half months
            signed = today - timedelta(days=rng.randint(0, 320))
            status = CommitmentStatus.ACTIVE
        elif roll < 0.80:  # valid but expiring within 30 days
            signed = today - timedelta(days=rng.randint(336, 364))
            status = CommitmentStatus.ACTIVE
        elif roll < 0.92:  # not renewed
            signed = today - timedelta(days=rng.randint(400, 700))
            status = CommitmentStatus.EXPIRED
        else:
            signed = today - timedelta(days=rng.randint(30, 300))
            status = CommitmentStatus.REVOKED
        template = templates[row["sector_code"]]
        until = add_months(signed, months) - timedelta(days=1)
        values.append(
            {
                "merchant_id": merchant.id,
                "template_id": template.id,
                "text_sha256": template.text_sha256,
                "signer_name": row["legal_representative"],
                "signer_title": rng.choice(SIGNER_TITLES),
                "signed_by_id": None,
                "signed_at": datetime.combine(signed, time(9, 30), tzinfo=UTC),
                "signed_from": None,
                "valid_from": signed,
                "valid_until": until,
                "status": status,
                "end_reason": rng.choice(REVOKE_REASONS) if status is CommitmentStatus.REVOKED else None,
            }
        )
    ids = _insert(COMMITMENTS, values, ("merchant_id",))  # one new commitment per new merchant
    return [
        ledger.Record(
            commitment_records.COMMITMENT_TYPE,
            str(commitment_id),
            commitment_records.commitment_public(
                merchant_id=v["merchant_id"],
                template=commitment_records.template_code(templates[row["sector_code"]]),
                text_sha256=v["text_sha256"],
                signer_name=v["signer_name"],
                signer_title=v["signer_title"],
                signed_on=v["valid_from"],
                valid_from=v["valid_from"],
                valid_until=v["valid_until"],
                status=str(v["status"]),
                end_reason=v["end_reason"],
            ),
        )
        for commitment_id, v, (_, row) in zip(ids, values, chosen, strict=True)
    ]


def _accounts(rng: random.Random, pools: Pools, regions: list[str]) -> dict[str, int]:
    """Sign-in accounts for every role; skipped when they already exist (demo-data run twice)."""
    if db.session.scalar(sa.select(User.id).where(User.username == ADMIN[0])):
        return {"accounts": 0}
    staff_hash = passwords.hash_password(INSPECTOR_PASSWORD)
    merchant_hash = passwords.hash_password(MERCHANT_PASSWORD)
    db.session.add(
        User(
            username=ADMIN[0],
            display_name="系统管理员",
            password_hash=passwords.hash_password(ADMIN[1]),
            role=Role.ADMIN,
            status=AccountStatus.ACTIVE,
        )
    )
    specialties = ("衡器", "加油机", "定量包装商品", "医用计量器具", "充电设施", "出租车计价器")
    for n in range(1, INSPECTORS + 1):
        name = rng.choice(pools.people)
        user = User(
            username=f"inspector{n:02d}",
            display_name=name,
            password_hash=staff_hash,
            role=Role.INSPECTOR,
            # The last one is out of the directory, so its account is disabled, as set_inspector_active does.
            status=AccountStatus.ACTIVE if n != INSPECTORS else AccountStatus.DISABLED,
        )
        db.session.add(
            Inspector(
                user=user,
                badge_number=f"JL{n:06d}",
                name=name,
                region_code=rng.choice(regions),
                specialties=sorted(rng.sample(specialties, 2)),
                active=n != INSPECTORS,
            )
        )
    firsts = db.session.scalars(
        sa.select(Merchant)
        .where(Merchant.status == MerchantStatus.ACTIVE)
        .order_by(Merchant.id)
        .limit(MERCHANT_ACCOUNTS + PENDING_ACCOUNTS)
    ).all()
    for n, merchant in enumerate(firsts, start=1):
        pending = n > MERCHANT_ACCOUNTS
        db.session.add(
            User(
                username=f"{'applicant' if pending else 'merchant'}{n:02d}",
                display_name=merchant.legal_representative,
                password_hash=merchant_hash,
                role=Role.MERCHANT,
                merchant=merchant,
                status=AccountStatus.PENDING if pending else AccountStatus.ACTIVE,
            )
        )
    db.session.commit()
    return {"accounts": 1 + INSPECTORS + len(firsts)}


def generate(*, merchants: int, seed: int, progress: bool = False) -> dict[str, int]:
    """Add `merchants` merchants with instruments, plus the demo accounts; returns row counts."""
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    pools = Pools.make(fake)
    regions = list(db.session.scalars(sa.select(Region.code).where(Region.level == 3).order_by(Region.code)))
    types = {t.code: t for t in db.session.scalars(sa.select(InstrumentType))}
    type_codes = {t.id: t.code for t in types.values()}
    types_by_id = {t.id: t for t in types.values()}
    # Verification history draws from its own stream, so the rest of the data stays as the seed made it.
    history_rng = random.Random(f"{seed}:verifications")
    history_total = 0
    taken = set(db.session.scalars(sa.select(Merchant.uscc)))
    commitment_services.seed_default_templates()
    templates = {
        t.sector_code: t
        for t in db.session.scalars(sa.select(CommitmentTemplate).where(CommitmentTemplate.superseded_at.is_(None)))
    }
    today = clock.today()

    instrument_total = 0
    with tqdm(total=merchants, desc="demo-data", unit="户", disable=not progress) as bar:
        for start in range(0, merchants, BATCH):
            rows = _merchant_rows(rng, pools, min(BATCH, merchants - start), regions, taken)
            merchant_ids = _insert(MERCHANTS, rows, ("uscc",))
            created = [NewMerchant(i, row["sector_code"]) for i, row in zip(merchant_ids, rows, strict=True)]
            records = [
                ledger.Record(merchant_records.RECORD_TYPE, str(r.id), merchant_records.public_data(row))
                for r, row in zip(created, rows, strict=True)
            ]
            instruments = _instrument_rows(rng, [(r.id, r.sector_code) for r in created], types, today)
            _fail_some(history_rng, instruments, types_by_id, today)
            if instruments:
                ids = _insert(INSTRUMENTS, instruments, ("merchant_id", "type_id", "serial_number"))
                if start < HISTORY_MERCHANTS:
                    history = _verification_rows(history_rng, ids, instruments, types_by_id)
                    if history:
                        db.session.execute(sa.insert(cast(sa.Table, InstrumentVerification.__table__)), history)
                    history_total += len(history)
                records += [
                    ledger.Record(
                        instrument_records.RECORD_TYPE,
                        str(instrument_id),
                        instrument_records.public_data(row, type_codes[row["type_id"]]),
                    )
                    for instrument_id, row in zip(ids, instruments, strict=True)
                ]
            records += _commitments(rng, created, rows, templates, today)
            # Every published fact goes into the log in the same transaction as its row.
            ledger.append_many(records)
            instrument_total += len(instruments)
            db.session.commit()
            bar.update(len(rows))
    summary = {"merchants": merchants, "instruments": instrument_total, "verifications": history_total}
    summary.update(_accounts(rng, pools, regions))
    return summary
