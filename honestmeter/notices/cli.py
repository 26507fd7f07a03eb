"""`honestmeter notices render`: issue every due notice, rendering on all cores with a progress bar."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from typing import Any

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from tqdm import tqdm

from honestmeter.commitments.models import Commitment, CommitmentStatus
from honestmeter.errors import NotFound
from honestmeter.extensions import db
from honestmeter.inspections.models import Plan, RectificationOrder, Task, TaskStatus
from honestmeter.lists.models import EntryStatus, ListEntry, ListKind
from honestmeter.merchants.models import Merchant
from honestmeter.notices import services
from honestmeter.storage import StorageFull


def _forget_parent_connections() -> None:
    """In a forked worker: never reuse (or close) the parent's pooled database connections."""
    db.engine.dispose(close=False)


def _render(job: services.Job) -> tuple[services.Job, bytes]:
    return job, job.render()


@click.group("notices")
def notices() -> None:
    """PDF notices."""


MERCHANT_KINDS = ("commitment", "sticker")
RESULT_KINDS = ("inspection_result", "rectification", "plan_results", "model_unit")


def _merchant_jobs(kinds: list[str], limit: int | None) -> Iterator[services.Job]:
    signed = sa.select(Commitment.merchant_id).where(Commitment.status == CommitmentStatus.ACTIVE)
    query = sa.select(Merchant).order_by(Merchant.id)
    if kinds == ["commitment"]:
        query = query.where(Merchant.id.in_(signed))
    builders = {"commitment": services.commitment_job, "sticker": services.sticker_job}
    for merchant in db.session.scalars(query.limit(limit)).all():
        for kind in kinds:
            try:
                yield builders[kind](merchant)
            except NotFound:  # nothing to issue for this merchant (no commitment, no record)
                continue


def _result_jobs(kinds: list[str], limit: int | None) -> Iterator[services.Job]:
    """告知书 of every published result, 责令改正通知书 of every order, 抽查结果公示 of every plan with results,
    诚信计量示范单位证书 of every granted title."""
    sources: dict[str, tuple[sa.Select[Any], Callable[[Any], services.Job]]] = {
        "inspection_result": (
            sa.select(Task).where(Task.status == TaskStatus.PUBLISHED).order_by(Task.id),
            services.inspection_result_job,
        ),
        "rectification": (sa.select(RectificationOrder).order_by(RectificationOrder.id), services.rectification_job),
        "plan_results": (
            sa.select(Plan).where(Plan.id.in_(sa.select(Task.plan_id).where(Task.status == TaskStatus.PUBLISHED))),
            services.plan_results_job,
        ),
        "model_unit": (
            sa.select(ListEntry)
            .where(ListEntry.kind == ListKind.MODEL_UNIT, ListEntry.status == EntryStatus.LISTED)
            .order_by(ListEntry.id),
            services.model_unit_job,
        ),
    }
    for kind in kinds:
        query, build = sources[kind]
        for row in db.session.scalars(query.limit(limit)).all():
            try:
                yield build(row)
            except NotFound:
                continue


@notices.command("render")
@click.option(
    "--kind",
    type=click.Choice([*MERCHANT_KINDS, *RESULT_KINDS, "all"]),
    default="all",
    show_default=True,
)
@click.option("--limit", type=int, default=None, help="At most this many merchants (or results, orders, plans).")
@click.option("--processes", type=int, default=os.cpu_count() or 1, show_default=True)
@with_appcontext
def render(kind: str, limit: int | None, processes: int) -> None:
    """Render and issue the notices not yet issued for the current facts (idempotent).

    Rendering runs in worker processes; storing and recording stay in this one.
    """
    kinds = [*MERCHANT_KINDS, *RESULT_KINDS] if kind == "all" else [kind]
    merchant_kinds = [k for k in kinds if k in MERCHANT_KINDS]
    result_kinds = [k for k in kinds if k in RESULT_KINDS]
    jobs = []
    for job in (
        *(_merchant_jobs(merchant_kinds, limit) if merchant_kinds else ()),
        *(_result_jobs(result_kinds, limit) if result_kinds else ()),
    ):
        if not services.already_issued(job):
            jobs.append(job)
    db.session.commit()  # release the database before forking
    issued = 0
    context = multiprocessing.get_context("fork")
    with (
        context.Pool(max(1, processes), initializer=_forget_parent_connections) as pool,
        tqdm(total=len(jobs), desc="notices", unit="份") as bar,
    ):
        for job, data in pool.imap_unordered(_render, jobs, chunksize=4):
            try:
                services.issue_job(job, data)
            except StorageFull as err:  # stop (the pool is terminated on the way out): the rest would fail alike
                raise click.ClickException(
                    f"{err.message} (issued {issued} of {len(jobs)} notices; free space under var/ and run again)"
                ) from err
            issued += 1
            bar.update()
    click.echo(f"issued {issued} notices")
