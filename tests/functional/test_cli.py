"""The `honestmeter` commands: accounts, demo data, jobs."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa
from faker import Faker
from flask import Flask

from honestmeter import clock
from honestmeter.auth import services as auth_services
from honestmeter.auth.models import AccountStatus, User
from honestmeter.complaints import services as complaint_services
from honestmeter.complaints.models import Complaint, ComplaintStatus
from honestmeter.demo import seed as demo
from honestmeter.errors import PermissionDenied
from honestmeter.extensions import db
from honestmeter.inspections.models import Inspector
from honestmeter.instruments.models import Instrument
from honestmeter.jobs import registry, scheduler
from honestmeter.jobs.models import JobRun
from honestmeter.merchants import uscc
from honestmeter.merchants.models import Merchant
from honestmeter.roles import Role
from tests.factories import MerchantFactory


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def create_user(app: Flask, username: str, role: str, *extra: str) -> tuple[int, str]:
    return run(app, "create-user", "--username", username, "--role", role, "--password", "Secret123", *extra)


def test_create_user_for_each_role(app: Flask) -> None:
    merchant = MerchantFactory()
    assert create_user(app, "chief", "admin")[0] == 0
    assert create_user(app, "shop", "merchant", "--uscc", merchant.uscc)[0] == 0
    assert create_user(app, "insp", "inspector", "--badge", "jl900", "--region", "440305", "--name", "周检")[0] == 0
    roles = {u.username: (u.role, u.status) for u in db.session.scalars(sa.select(User))}
    assert roles["chief"] == (Role.ADMIN, AccountStatus.ACTIVE)
    assert roles["shop"] == (Role.MERCHANT, AccountStatus.ACTIVE)
    assert db.session.scalar(sa.select(Inspector.name).where(Inspector.badge_number == "JL900")) == "周检"


def test_create_user_reports_errors_clearly(app: Flask) -> None:
    code, output = create_user(app, "shop", "merchant", "--uscc", "914403001922038215")
    assert code != 0 and "第18位" in output
    code, output = run(app, "create-user", "--username", "weak", "--role", "admin", "--password", "short")
    assert code != 0 and "至少需要8位" in output


def test_demo_data_fills_every_role_and_documented_passwords_work(app: Flask) -> None:
    code, output = run(app, "demo-data", "--merchants", "60", "--seed", "7")
    assert code == 0, output
    assert db.session.scalar(sa.select(sa.func.count(Merchant.id))) >= 60
    assert all(uscc.validate(code) for code in db.session.scalars(sa.select(Merchant.uscc)))
    sectors = set(db.session.scalars(sa.select(Merchant.sector_code).distinct()))
    assert len(sectors) >= 8
    assert db.session.scalar(sa.select(sa.func.count(Instrument.id))) > 60
    overdue = sa.select(sa.func.count(Instrument.id)).where(Instrument.next_due_on < clock.today())
    assert db.session.scalar(overdue) > 0  # the demo shows regulators what overdue looks like
    assert auth_services.authenticate(*demo.ADMIN).role is Role.ADMIN
    assert auth_services.authenticate("inspector01", demo.INSPECTOR_PASSWORD).role is Role.INSPECTOR
    # The README calls the last inspector deactivated: out of the directory's draw pool, and unable to sign in.
    last = f"inspector{demo.INSPECTORS:02d}"
    with pytest.raises(PermissionDenied):
        auth_services.authenticate(last, demo.INSPECTOR_PASSWORD)
    assert db.session.scalar(sa.select(Inspector.active).join(User).where(User.username == last)) is False
    assert auth_services.authenticate("merchant01", demo.MERCHANT_PASSWORD).role is Role.MERCHANT
    pending = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.status == AccountStatus.PENDING))
    assert pending == demo.PENDING_ACCOUNTS
    # Complaints in every state, one of them followable with the code the README gives.
    assert set(db.session.scalars(sa.select(Complaint.status).distinct())) == set(ComplaintStatus)
    assert complaint_services.by_tracking_code("TS-2026-DEMA-0001") is not None

    code, output = run(app, "demo-data", "--if-empty")
    assert code == 0 and "nothing to do" in output


def test_demo_data_is_reproducible_from_its_seed(app: Flask) -> None:
    regions = ["440305", "110108", "411628"]

    def rows(seed: int) -> list[dict[str, object]]:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        return demo._merchant_rows(random.Random(seed), demo.Pools.make(fake, 50), 25, regions, set())

    assert rows(11) == rows(11)
    assert rows(11) != rows(12)


def test_jobs_run_once_records_the_run(app: Flask) -> None:
    _, output = run(app, "jobs", "list")
    assert "jobs.heartbeat" in output
    assert run(app, "jobs", "run-once", "jobs.heartbeat")[0] == 0
    last = db.session.scalars(sa.select(JobRun).order_by(JobRun.id.desc())).first()
    assert last is not None and last.job_id == "jobs.heartbeat" and last.ok and last.finished_at is not None
    assert run(app, "jobs", "run-once", "no.such.job")[0] != 0


def test_a_failing_job_is_recorded_not_fatal(app: Flask) -> None:
    spec = registry.JobSpec(id="test.explode", func="tests.functional.test_cli:explode", trigger="interval")
    assert scheduler.run_job(app, spec) is False
    last = db.session.scalars(sa.select(JobRun).where(JobRun.job_id == "test.explode")).one()
    assert last.ok is False and "boom" in (last.error or "")


def explode() -> None:
    raise RuntimeError("boom")
