"""`honestmeter commitments seed-defaults`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from honestmeter.commitments import services


@click.group("commitments")
def commitments() -> None:
    """Honest-metering commitment texts."""


@commitments.command("seed-defaults")
@with_appcontext
def seed_defaults() -> None:
    """Publish the default text as version 1 for every sector that has none yet."""
    click.echo(f"published {services.seed_default_templates()} default texts")
