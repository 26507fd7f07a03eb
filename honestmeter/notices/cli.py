"""`honestmeter notices render`: issue every due notice, rendering on all cores with a progress bar."""

from __future__ import annotations

import multiprocessing
import os

import click
import sqlalchemy as sa
from flask.cli import with_appcontext
from tqdm import tqdm

from honestmeter.commitments.models import Commitment, CommitmentStatus
from honestmeter.errors import NotFound
from honestmeter.extensions import db
from honestmeter.merchants.models import Merchant
from honestmeter.notices import services


def _forget_parent_connections() -> None:
    """In a forked worker: never reuse (or close) the parent's pooled database connections."""
    db.engine.dispose(close=False)


def _render(job: services.Job) -> tuple[services.Job, bytes]:
    return job, job.render()


@click.group("notices")
def notices() -> None:
    """PDF notices."""


@notices.command("render")
@click.option("--kind", type=click.Choice(["commitment", "sticker", "all"]), default="all", show_default=True)
@click.option("--limit", type=int, default=None, help="At most this many merchants.")
@click.option("--processes", type=int, default=os.cpu_count() or 1, show_default=True)
@with_appcontext
def render(kind: str, limit: int | None, processes: int) -> None:
    """Render and issue the notices not yet issued for the current facts (idempotent).

    Rendering runs in worker processes; storing and recording stay in this one.
    """
    signed = sa.select(Commitment.merchant_id).where(Commitment.status == CommitmentStatus.ACTIVE)
    query = sa.select(Merchant).order_by(Merchant.id)
    if kind == "commitment":
        query = query.where(Merchant.id.in_(signed))
    merchants = db.session.scalars(query.limit(limit)).all()
    builders = {
        "commitment": [services.commitment_job],
        "sticker": [services.sticker_job],
        "all": [services.commitment_job, services.sticker_job],
    }[kind]
    jobs = []
    for merchant in merchants:
        for build in builders:
            try:
                job = build(merchant)
            except NotFound:  # nothing to issue for this merchant (no commitment, no record)
                continue
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
            services.issue_job(job, data)
            issued += 1
            bar.update()
    click.echo(f"issued {issued} notices")
