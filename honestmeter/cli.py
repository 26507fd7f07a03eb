"""The app-wide commands of the `honestmeter` console script: serve, scheduler, demo data, accounts. `init_app` adds
them (and the domains' shared groups) to the app's CLI; the script itself is `honestmeter.__main__`."""

from __future__ import annotations

import logging
import signal
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from honestmeter.ops import logs
from honestmeter.settings import settings

log = logging.getLogger("honestmeter")


def _start_chain() -> None:
    """Embedded default: start the supervised local chain node now rather than at the first anchor."""
    if settings().LEDGER_CHAIN != "embedded":
        return
    from honestmeter.ledger import anchoring
    from honestmeter.ledger.chain import ChainError

    try:
        click.echo(f"honestmeter: ledger chain {anchoring.start_embedded_chain()}")
    except ChainError as err:  # the site still serves; anchoring retries with back-off
        click.echo(f"honestmeter: ledger chain not started: {err}", err=True)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not run periodic jobs in this process.")
@with_appcontext
def serve(host: str, port: int, threads: int, no_scheduler: bool) -> None:
    """Serve the site with waitress, running the scheduler in the same process (embedded default)."""
    import waitress

    from honestmeter.jobs import scheduler as jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    logs.configure(app)
    _start_chain()
    sched = None
    if not no_scheduler:
        sched = jobs.build(app, blocking=False)
        sched.start()
    click.echo(f"honestmeter: http://{host}:{port}/")
    # SIGTERM (systemd, a test harness) ends the process through SystemExit, so exit handlers stop
    # the supervised chain node cleanly and it dumps its state.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        # waitress refuses a body over the limit from its Content-Length, before reading it (it would otherwise
        # buffer up to 1 GB and only then let Flask answer 413).
        limit = settings(app).MAX_CONTENT_LENGTH
        waitress.serve(app, host=host, port=port, threads=threads, ident="honestmeter", max_request_body_size=limit)
    finally:
        if sched is not None:
            sched.shutdown(wait=False)


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the periodic jobs in the foreground (production: one dedicated process).

    Start as many as you like for availability: one leads and runs jobs, the others stand by and
    take over when it stops (jobs/leadership.py)."""
    from honestmeter.jobs import scheduler as jobs

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    logs.configure(app)
    _start_chain()
    sched = jobs.build(app, blocking=True)

    def stop(*_: Any) -> None:
        sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    click.echo("honestmeter scheduler: " + ", ".join(job.id for job in sched.get_jobs()))
    sched.start()


@click.group("jobs")
def jobs_group() -> None:
    """Inspect and run periodic jobs."""


@jobs_group.command("list")
def jobs_list() -> None:
    from honestmeter.jobs import registry

    for spec in registry.specs():
        click.echo(f"{spec.id}\t{spec.trigger} {spec.trigger_args}\t{spec.description}")


@jobs_group.command("run-once")
@click.argument("job_id")
@with_appcontext
def jobs_run_once(job_id: str) -> None:
    """Run one job now and record it like a scheduled run."""
    from honestmeter.jobs import registry
    from honestmeter.jobs import scheduler as jobs

    spec = next((s for s in registry.specs() if s.id == job_id), None)
    if spec is None:
        raise click.BadParameter(f"unknown job {job_id!r}")
    ok = jobs.run_job(current_app._get_current_object(), spec)  # type: ignore[attr-defined]
    raise SystemExit(0 if ok else 1)


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "inspector", "merchant"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default="", help="Display name (defaults to the username).")
@click.option("--uscc", default=None, help="Merchant accounts: the merchant's unified social credit code.")
@click.option("--badge", default=None, help="Inspector accounts: badge number (执法证号).")
@click.option("--region", default=None, help="Inspector accounts: GB/T 2260 region code.")
@with_appcontext
def create_user(
    username: str,
    role: str,
    password: str,
    display_name: str,
    uscc: str | None,
    badge: str | None,
    region: str | None,
) -> None:
    """Create an active account (an inspector also gets a directory entry)."""
    from honestmeter.auth import services as auth_services
    from honestmeter.errors import DomainError
    from honestmeter.inspections.directory import services as inspection_services
    from honestmeter.merchants import services as merchant_services
    from honestmeter.merchants.queries import find_by_uscc
    from honestmeter.roles import Role

    try:
        if role == "inspector":
            if not (badge and region):
                raise click.UsageError("inspector accounts need --badge and --region")
            facts = inspection_services.InspectorFacts(
                name=display_name or username, badge_number=badge, region_code=region, specialties=[]
            )
            inspection_services.add_inspector(facts, username=username, password=password)
        else:
            merchant = None
            if role == "merchant":
                merchant = find_by_uscc(merchant_services.check_uscc(uscc or ""))
                if merchant is None:
                    raise click.UsageError("no merchant with that USCC in the directory")
            auth_services.create_user(
                username=username,
                password=password,
                role=Role(role),
                display_name=display_name,
                merchant=merchant,
            )
    except DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"created {role} {username}")


@click.command("demo-data")
@click.option("--merchants", "count", default=2000, show_default=True, type=click.IntRange(0, 5_000_000))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--if-empty", is_flag=True, help="Do nothing when the directory already holds merchants.")
@with_appcontext
def demo_data(count: int, seed: int, if_empty: bool) -> None:
    """Fill the database with realistic, reproducible demo data (see README for the accounts)."""
    from honestmeter.demo import seed as demo

    if if_empty and demo.has_merchants():
        click.echo("demo-data: database already has merchants; nothing to do")
        return
    from honestmeter.demo import complaints
    from honestmeter.demo import inspections as campaigns
    from honestmeter.demo import ratings as credit
    from honestmeter.demo import replies as reply_demo
    from honestmeter.ledger import anchoring
    from honestmeter.ledger.chain import ChainError

    summary = demo.generate(merchants=count, seed=seed, progress=True)

    def anchor() -> None:
        try:
            click.echo(f"ledger: {anchoring.anchor_pending()}")
        except ChainError as err:
            click.echo(f"ledger: not anchored yet ({err}); the scheduler retries", err=True)

    summary.update(campaigns.generate(seed=seed, authority=settings().AUTHORITY_NAME, anchor=anchor))
    summary.update(credit.generate(seed=seed, authority=settings().AUTHORITY_NAME))
    summary.update(reply_demo.generate(seed=seed))  # after the campaigns: it replies to published results
    summary.update(complaints.generate(seed=seed))
    for key, value in summary.items():
        click.echo(f"{key}: {value}")
    anchor()


def init_app(app: Flask) -> None:
    from honestmeter.inspections.draws.cli import draw_group
    from honestmeter.instruments.cli import import_group
    from honestmeter.merchants.cli import import_merchants

    # One `honestmeter import` group; each domain contributes its own command to it.
    import_group.add_command(import_merchants)
    for command in (serve, scheduler, jobs_group, create_user, demo_data, draw_group):
        app.cli.add_command(command)

