"""`honestmeter grades recompute [--today YYYY-MM-DD]` and `honestmeter grades explain USCC`."""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from flask.cli import with_appcontext

from honestmeter import clock


@click.group("grades")
def grades_group() -> None:
    """Metrology credit grades (计量信用等级)."""


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as err:
        raise click.BadParameter("expected YYYY-MM-DD") from err


@grades_group.command("recompute")
@click.option("--today", callback=_day, help="Grade as of this day (default: today in China).")
@with_appcontext
def recompute_command(today: date | None) -> None:
    """Recompute every merchant's grade (what the nightly job does) and write what changed."""
    from honestmeter.ratings.grades import recompute

    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            click.echo(f"{total} merchants changed; writing grades, history and ledger records")
            bar = click.progressbar(length=total, label="grades", show_pos=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        summary = recompute.recompute_all(today, progress=progress)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(str(summary))
    if summary.mismatched:
        raise SystemExit(1)


@grades_group.command("explain")
@click.argument("uscc")
@click.option("--today", callback=_day, help="Explain the grade as of this day (default: today in China).")
@with_appcontext
def explain_command(uscc: str, today: date | None) -> None:
    """Print a merchant's grade line by line: base, each rule's points and facts, overrides, the result."""
    from honestmeter.merchants import queries as merchant_queries
    from honestmeter.ratings.grades import services as grades
    from honestmeter.ratings.rules import services as rule_tables

    merchant = merchant_queries.find_by_uscc(uscc.strip().upper())
    if merchant is None:
        raise click.ClickException(f"no merchant with USCC {uscc}")
    day = today or clock.today()
    rules = rule_tables.current()
    result = grades.evaluate(merchant.id, day)
    click.echo(f"{merchant.name} ({merchant.uscc}) on {day}, rule table v{rules.version}")
    click.echo(f"  {rules.base:+4d}  基础分")
    for reason in result.reasons:
        until = f"，至 {reason.until} 不再计入" if reason.until else ""
        click.echo(f"  {reason.points:+4d}  {reason.label}（{len(reason.facts)} 项{until}）")
        for fact in reason.facts:
            ended = f"，{fact.ended_on} 结束" if fact.ended_on else ""
            click.echo(f"          {fact.on} {fact.ref}{ended}")
    click.echo(f"  = {result.score} 分 → {result.grade}")
    for override in result.overrides:
        click.echo(f"  {override.text()}")
    stored = (merchant.grade, merchant.score, merchant.grade_rule_version)
    if stored != (result.grade, result.score, result.rule_version):
        shown = (
            "未评级"
            if merchant.grade is None
            else f"{merchant.grade} {merchant.score} 分（v{merchant.grade_rule_version}）"
        )
        click.echo(f"  stored grade: {shown}; the next recompute will change it")
