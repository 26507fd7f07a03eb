"""`honestmeter lists expire`: run the lists' daily job now."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from honestmeter.lists import services


@click.group("lists")
def lists_group() -> None:
    """Credit lists (经营异常名录, 严重违法失信名单, 诚信计量示范单位)."""


@lists_group.command("expire")
@with_appcontext
def expire() -> None:
    """Expire 示范单位 titles past their validity and remove 严重违法失信名单 listings at the end of their term."""
    done = services.expire_due()
    for entry in done:
        click.echo(f"{entry.id}\t{entry.kind}\t{entry.merchant.uscc}\t{entry.removal_kind}\t{entry.removed_on}")
    click.echo(f"removed {len(done)} entries")
