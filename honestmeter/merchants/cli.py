"""`honestmeter import merchants FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.command("merchants")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_merchants(file: Path) -> None:
    """Enter merchants into the directory from .xlsx or .csv; every row is checked first, all or none.

    Columns: 统一社会信用代码, 经营者名称, 行业 (name or code), 所在地区代码 (GB/T 2260), 经营场所地址,
    法定代表人/负责人, and optionally 联系人, 联系电话, 电子邮箱.
    """
    from honestmeter.merchants.importing import import_merchants as run

    report = run(file.read_bytes())
    if report.error_total:
        for error in report.errors:
            click.echo(error, err=True)
        if report.error_total > len(report.errors):
            click.echo(f"… {report.error_total} errors in all, the first {len(report.errors)} listed", err=True)
        raise click.ClickException(f"{report.error_total} error(s); nothing was imported")
    click.echo(f"imported {report.imported} merchants into the directory")
