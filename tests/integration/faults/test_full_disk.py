"""Fault: the disk under var/ is full (a small tmpfs mounted as the test's VAR_DIR, then filled).

Uploads, PDF notices and the ledger's files under var/ fail with a clear message (Chinese on the page, a message
and a non-zero exit from the CLI), leave no partial file and no row pointing at a missing file, and everything works
again once space is freed.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import random

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from honestmeter import storage
from honestmeter.complaints.models import Complaint
from honestmeter.config import load_secret_key
from honestmeter.extensions import db
from honestmeter.ledger import anchoring, audit, keys
from honestmeter.ledger import services as ledger
from honestmeter.ledger.anvil import AnvilNode
from honestmeter.ledger.models import LedgerEntry
from honestmeter.merchants import services as merchant_services
from honestmeter.merchants import uscc
from honestmeter.merchants.models import Merchant
from honestmeter.notices.models import Notice
from tests.conftest import ANVIL, free_port
from tests.factories import MerchantFactory, merchant_facts
from tests.integration.faults.conftest import FullDisk
from tests.integration.faults.helpers import crash, deployment, wait_saved
from tests.integration.notices.test_issuing import signed_merchant

FULL = "服务器存储空间已满"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * (200 * 1024)  # bigger than what is left free: a partial write would stay


@pytest.fixture
def var(app: Flask, full_disk: FullDisk, monkeypatch: pytest.MonkeyPatch) -> FullDisk:
    """The app's VAR_DIR on the small tmpfs."""
    monkeypatch.setitem(app.config, "VAR_DIR", str(full_disk.mount))
    return full_disk


def test_a_file_is_stored_whole_or_not_at_all(full_disk: FullDisk) -> None:
    target = full_disk.mount / "uploads" / "ab" / "abcd"
    full_disk.fill(leave=64 * 1024)
    with pytest.raises(storage.StorageFull):
        storage.write_once(target, PNG)
    assert full_disk.files() == []  # neither the target nor the temporary file
    full_disk.free()
    storage.write_once(target, PNG)
    assert target.read_bytes() == PNG and full_disk.files() == [target]


def complaint_form(merchant: Merchant) -> dict[str, object]:
    return {
        "category": "short_weight",
        "merchant": merchant.uscc,
        "description": "买了两斤苹果，回家用电子秤称只有一斤七两。",
        "photos": [(io.BytesIO(PNG), "秤.png")],
    }


def test_an_upload_on_a_full_disk_is_refused_with_a_message_and_stores_nothing(
    client: FlaskClient, var: FullDisk
) -> None:
    merchant = MerchantFactory()
    var.fill(leave=64 * 1024)
    refused = client.post("/complaints", data=complaint_form(merchant), content_type="multipart/form-data")
    assert refused.status_code == 422 and FULL in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0
    assert var.files() == []

    var.free()
    filed = client.post("/complaints", data=complaint_form(merchant), content_type="multipart/form-data")
    assert filed.status_code == 302
    complaint = db.session.scalars(sa.select(Complaint)).one()
    [photo] = complaint.photos
    stored = var.mount / photo["path"]
    assert stored.read_bytes() == PNG and photo["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert var.files() == [stored]


def notices_issued() -> tuple[int, int]:
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(Notice))
    leaves = db.session.scalar(
        sa.select(sa.func.count()).select_from(LedgerEntry).where(LedgerEntry.record_type == "notice")
    )
    return int(rows or 0), int(leaves or 0)


def test_a_pdf_notice_on_a_full_disk_is_refused_and_issued_once_space_is_freed(
    app: Flask, client: FlaskClient, var: FullDisk
) -> None:
    merchant, _, _ = signed_merchant()
    keys.signing_seed()  # the deployment's log key exists before the disk fills
    kept = var.files()
    var.fill(leave=8 * 1024)

    refused = client.get(f"/merchants/{merchant.uscc}/commitment.pdf")
    assert refused.status_code == 507 and FULL in refused.get_data(as_text=True)
    cli = app.test_cli_runner().invoke(args=["notices", "render", "--kind", "commitment", "--processes", "1"])
    assert cli.exit_code == 1 and FULL in cli.output and "issued 0 of 1" in cli.output
    assert notices_issued() == (0, 0)  # no notice row, no "notice issued" record
    assert var.files() == kept  # no partial PDF, no temporary file

    var.free()
    issued = client.get(f"/merchants/{merchant.uscc}/commitment.pdf")
    assert issued.status_code == 200 and issued.data.startswith(b"%PDF")
    notice = db.session.scalars(sa.select(Notice)).one()
    path = var.mount / "notices" / notice.sha256.hex()[:2] / f"{notice.sha256.hex()}.pdf"
    assert path.read_bytes() == issued.data and hashlib.sha256(issued.data).digest() == notice.sha256
    assert notices_issued() == (1, 1)
    again = app.test_cli_runner().invoke(args=["notices", "render", "--kind", "commitment", "--processes", "1"])
    assert again.exit_code == 0 and "issued 0 notices" in again.output  # already issued: nothing to do


def test_the_log_key_is_written_whole_or_not_at_all(var: FullDisk) -> None:
    """A key file left empty by a full disk would be read as the key at every later start."""
    var.fill()
    with pytest.raises((OSError, storage.StorageFull)):
        keys.signing_seed()
    assert var.files() == []
    var.free()
    seed = keys.signing_seed()
    assert len(seed) == 32 and keys.signing_seed() == seed


def test_the_secret_key_is_written_whole_or_not_at_all(full_disk: FullDisk) -> None:
    full_disk.fill()
    with pytest.raises((OSError, storage.StorageFull)):
        load_secret_key(full_disk.mount)
    assert full_disk.files() == []
    full_disk.free()
    key = load_secret_key(full_disk.mount)
    assert len(key) == 64 and load_secret_key(full_disk.mount) == key


@pytest.mark.skipif(ANVIL is None, reason="node_modules/.bin/anvil missing: run `make install`")
def test_the_chain_keeps_anchoring_on_a_full_disk_and_saves_its_state_once_space_is_freed(
    app: Flask, var: FullDisk, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ANVIL is not None
    with AnvilNode(ANVIL, var.mount / "chain", port=free_port()) as node:
        monkeypatch.setitem(app.config, "LEDGER_CHAIN", node.url)

        def write_and_anchor(n: int) -> None:
            ledger.append_many([ledger.Record("fault", f"{ledger.tree_size()}-{i}", {"i": i}) for i in range(n)])
            db.session.commit()
            assert anchoring.anchor_pending() == "anchored"

        write_and_anchor(5)
        var.fill()
        write_and_anchor(5)  # anvil serves from memory while its periodic dump fails
        write_and_anchor(5)
        var.free()
        newest = ledger.latest_anchor()
        assert newest is not None and newest.tree_size == 15
        wait_saved(node, newest.block_number)  # the next dump after the space came back saves everything
        crash(node)
        node.start()
        assert audit.check_log() == [] and audit.check_chain() == []  # every anchor survived the crash
        write_and_anchor(5)
        assert ledger.pending_leaves() == 0


@pytest.mark.skipif(
    "postgresql" in os.environ.get("TEST_DATABASE_URL", ""),
    reason="the embedded default keeps its SQLite database under var/; PostgreSQL keeps its data elsewhere",
)
def test_the_sqlite_database_on_a_full_disk_refuses_writes_whole_and_recovers(
    full_disk: FullDisk, real_session: None
) -> None:
    with deployment(f"sqlite:///{full_disk.mount / 'honestmeter.db'}", full_disk.mount) as deployed:
        with deployed.context():
            merchant_services.register_merchant(merchant_facts())
        second = merchant_facts(uscc=uscc.random_code(random.Random(8), "330106"), name="满盘商户")
        full_disk.fill()
        with deployed.context(), pytest.raises(sa.exc.OperationalError, match="full"):
            merchant_services.register_merchant(second)
        full_disk.free()
        with deployed.context():
            merchant_services.register_merchant(second)
            names = set(db.session.scalars(sa.select(Merchant.name)))
            assert names == {"西湖眼镜店", "满盘商户"}
            assert ledger.tree_size() == 2
            assert audit.check_log() == [] and audit.check_rows() == []
            assert db.session.scalar(sa.text("PRAGMA integrity_check")) == "ok"


@pytest.mark.parametrize(
    ("code", "full"), [(errno.ENOSPC, True), (errno.EDQUOT, True), (errno.EFBIG, True), (errno.EACCES, False)]
)
def test_a_quota_or_a_file_size_limit_counts_as_a_full_disk(code: int, full: bool) -> None:
    assert storage.is_full(OSError(code, os.strerror(code))) is full
