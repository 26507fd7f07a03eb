"""Is this deployment working? Database, chain, scheduler and anchoring, each with a status.

`ok` — working; `degraded` — the site serves but something needs an operator (the chain node is
down, so anchoring waits; the scheduler is silent; anchoring lags); `fail` — this instance cannot
serve (no database). Only `fail` makes /healthz answer 503, so a load balancer keeps an instance
that can still serve pages while the chain node is away.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.extensions import db
from honestmeter.jobs import queries as job_queries
from honestmeter.ledger import services as ledger
from honestmeter.ledger.models import CHAIN_STATE_ID, LedgerChain, LedgerEntry
from honestmeter.settings import settings

if TYPE_CHECKING:
    from honestmeter.ledger.chain import AnchorClient

OK, DEGRADED, FAIL = "ok", "degraded", "fail"
_RANK = {OK: 0, DEGRADED: 1, FAIL: 2}
CHAIN_PROBE_TIMEOUT = 2.0  # seconds: a health probe must answer even when the node hangs


@dataclass
class Check:
    status: str
    facts: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None  # an error text: shown to regulators only (it may name hosts)


def _seconds_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, int((now - moment).total_seconds()))


def check_database() -> Check:
    started = time.perf_counter()
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError as err:
        db.session.rollback()
        return Check(FAIL, detail=str(err.orig or err).splitlines()[0])
    return Check(OK, {"latency_ms": round((time.perf_counter() - started) * 1000, 1)})


def check_chain(state: LedgerChain | None) -> Check:
    # web3 is imported here, not at app creation: it costs every gunicorn worker and CLI call a second.
    from honestmeter.ledger import anchoring  # noqa: PLC0415
    from honestmeter.ledger.chain import ChainError, Web3AnchorClient  # noqa: PLC0415

    chain = settings().LEDGER_CHAIN
    started = time.perf_counter()
    client: AnchorClient
    try:
        if chain.startswith(("http://", "https://")):
            client = Web3AnchorClient.connect(chain, timeout=CHAIN_PROBE_TIMEOUT)
        elif chain == "embedded":
            # The supervising process (serve or scheduler) owns the node; a probe only looks.
            client = Web3AnchorClient.connect(anchoring.embedded_url(), timeout=CHAIN_PROBE_TIMEOUT)
        else:
            client = anchoring.client()
        chain_id = client.chain_id()
    except ChainError as err:
        return Check(DEGRADED, {"kind": chain if not chain.startswith("http") else "json-rpc"}, str(err))
    facts = {"chain_id": chain_id, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    if state is not None and state.alarm:
        return Check(DEGRADED, facts, state.alarm)
    if state is not None and state.chain_id is not None and state.chain_id != chain_id:
        return Check(DEGRADED, facts, f"chain id {chain_id} differs from the anchored chain {state.chain_id}")
    return Check(OK, facts)


def check_scheduler(now: datetime) -> Check:
    beat = job_queries.heartbeat()
    age = _seconds_since(beat, now)
    allowed = 3 * settings().SCHEDULER_HEARTBEAT_SECONDS + 30
    facts = {"heartbeat_age_s": age, "allowed_s": allowed}
    if age is None:
        return Check(DEGRADED, facts, "no scheduler has run against this database")
    if age > allowed:
        return Check(DEGRADED, facts, f"no scheduler heartbeat for {age} s")
    return Check(OK, facts)


def anchoring_lag(now: datetime) -> dict[str, Any]:
    """Leaves waiting for an anchor and how long the oldest has waited."""
    size = ledger.tree_size()
    latest = ledger.latest_anchor()
    anchored = latest.tree_size if latest else 0
    oldest = (
        db.session.scalar(sa.select(LedgerEntry.created_at).where(LedgerEntry.leaf_index == anchored))
        if size > anchored
        else None
    )
    return {
        "tree_size": size,
        "anchored": anchored,
        "pending": size - anchored,
        "lag_s": _seconds_since(oldest, now) or 0,
        "last_anchored_at": latest.anchored_at if latest else None,
    }


def check_anchoring(now: datetime, state: LedgerChain | None) -> Check:
    lag = anchoring_lag(now)
    facts = {k: lag[k] for k in ("tree_size", "anchored", "pending", "lag_s")}
    if state is not None and state.failures:
        facts["failures"] = state.failures
    if lag["lag_s"] > settings().ANCHOR_LAG_WARN_SECONDS:
        return Check(DEGRADED, facts, state.last_error if state is not None else None)
    return Check(OK, facts)


def report() -> tuple[str, dict[str, Check]]:
    """The overall status and each check. Without a database nothing else can be asked."""
    database = check_database()
    if database.status == FAIL:
        return FAIL, {"database": database}
    now = clock.utcnow()
    state = db.session.get(LedgerChain, CHAIN_STATE_ID)
    checks = {
        "database": database,
        "chain": check_chain(state),
        "scheduler": check_scheduler(now),
        "anchoring": check_anchoring(now, state),
    }
    return max((c.status for c in checks.values()), key=_RANK.__getitem__), checks


def as_json(status: str, checks: dict[str, Check], *, with_detail: bool) -> dict[str, Any]:
    return {
        "status": status,
        "checks": {
            name: {"status": c.status, **c.facts, **({"detail": c.detail} if with_detail and c.detail else {})}
            for name, c in checks.items()
        },
    }
