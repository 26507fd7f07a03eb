"""`honestmeter draw announce PLAN_ID` and `honestmeter draw reveal DRAW_ID [--beacon VALUE]`.

The scheduler does both at the planned times; these commands are for running a draw by hand (and for
external-beacon draws, whose value a regulator types in after the named event).
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from honestmeter.errors import DomainError


@click.command("announce")
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


@click.command("reveal")
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
