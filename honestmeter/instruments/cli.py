"""`honestmeter import instruments FILE --uscc CODE`.

`import_group` is the shared `honestmeter import …` group: other domains add their own commands
to it (`@import_group.command("merchants")`) rather than registering a second group of that name.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from tqdm import tqdm

import_group = click.Group("import", help="Bulk imports from .xlsx or .csv files (all rows or none).")


@import_group.command("instruments")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--uscc", required=True, help="The merchant's unified social credit code.")
@with_appcontext
def import_instruments(file: Path, uscc: str) -> None:
    """Import a merchant's instruments; every row is checked first, errors name row and column."""
    from honestmeter.instruments import services
    from honestmeter.merchants.queries import find_by_uscc

    merchant = find_by_uscc(uscc)
    if merchant is None:
        raise click.ClickException(f"no merchant with USCC {uscc} in the directory")
    bars: dict[str, tqdm[None]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        if stage not in bars:
            for bar in bars.values():
                bar.close()
            bars[stage] = tqdm(desc=stage, total=total or None, unit="row")
        bar = bars[stage]
        bar.update(done - bar.n)

    try:
        report = services.import_instruments(merchant.id, file.read_bytes(), progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    if not report.ok:
        for error in report.errors:
            click.echo(error.text(), err=True)
        if report.error_total > len(report.errors):
            click.echo(f"… {report.error_total} errors in all, the first {len(report.errors)} listed", err=True)
        raise click.ClickException(f"{report.error_total} error(s); nothing was imported")
    click.echo(f"imported {report.imported} instruments for {merchant.name} ({merchant.uscc})")
