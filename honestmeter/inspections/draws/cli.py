"""`honestmeter draw verify BUNDLE.json`: re-run a published draw offline (DESIGN §5.6), with no app or database.

`honestmeter draw announce PLAN_ID` and `honestmeter draw reveal DRAW_ID [--beacon VALUE]`: the scheduler does both
at the planned times; these run a draw by hand (and external-beacon draws, whose value a regulator types in after
the named event). They import the services when run, so `verify` starts without the app.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from honestmeter.errors import DomainError
from honestmeter.inspections import draw


@click.group("draw")
def draw_group() -> None:
    """Verifiable double-random draws (双随机抽查, hmac-rank-v1)."""


@draw_group.command("verify")
@click.argument("bundle_file", metavar="BUNDLE.json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify(bundle_file: Path) -> None:
    """Re-run a draw from its public bundle (GET /api/v1/draws/<id>/bundle).

    Exit 0 when the published result is exactly the recomputed one, 1 with the reasons otherwise.
    """
    try:
        bundle = json.loads(bundle_file.read_bytes())
    except ValueError as err:
        problems = [f"not a JSON file: {err}"]
    else:
        problems = draw.verify_bundle(bundle)
    if problems:
        click.echo("INVALID 验证未通过", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1)
    ann, result = bundle["announcement"], bundle["result"]
    click.echo(f"VALID 验证通过: {draw.ALGORITHM}, the published result is the recomputed one (结果与重算一致)")
    click.echo(f"  plan 抽查计划: {ann['plan_id']}")
    for layer in ann["strata"]:
        click.echo(f"  stratum 层 {layer['name']}: {len(layer['members'])} in pool 名录, k = {layer['k']} drawn 抽取")
    click.echo(
        f"  inspectors 检查人员: {len(ann['inspectors'])}, {ann['per_case']} per case 每户, "
        f"at most {ann['capacity']} cases each 每人上限, {len(ann['conflicts'])} recusals 回避"
    )
    click.echo(
        f"  selected 抽中: {len(result['selected'])}, "
        f"assigned 已派员: {len(result['selected']) - len(result['unassigned'])}, "
        f"unassigned 未能派员: {len(result['unassigned'])}"
    )
    click.echo(f"  beacon 随机源: {ann['beacon']}")


@draw_group.command("announce")
@click.argument("plan_id", type=int)
@with_appcontext
def announce_command(plan_id: int) -> None:
    """Freeze a plan's pool and publish the draw announcement (it must be anchored before the reveal)."""
    from honestmeter.inspections.draws import services as draws

    try:
        found = draws.announce(plan_id)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"draw {found.id} announced: announcement_hash {found.announcement_hash.hex()}, beacon {found.beacon}")


@draw_group.command("reveal")
@click.argument("draw_id", type=int)
@click.option("--beacon", "beacon_value", default=None, help="The external beacon's value, as named in advance.")
@with_appcontext
def reveal_command(draw_id: int, beacon_value: str | None) -> None:
    """Reveal an anchored draw: secret, beacon value, result and tasks."""
    from honestmeter.inspections.draws import services as draws

    try:
        found = draws.reveal(draw_id, beacon_value=beacon_value)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    result = found.result or {}
    click.echo(
        f"draw {found.id} revealed: {len(result.get('selected', []))} selected, "
        f"{len(result.get('unassigned', []))} unassigned, result_hash {(found.result_hash or b'').hex()}"
    )
