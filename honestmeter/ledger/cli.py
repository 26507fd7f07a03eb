"""`honestmeter ledger anchor|verify|audit|status`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import with_appcontext

from honestmeter.ledger import bundle as bundles
from honestmeter.ledger import services


@click.group("ledger")
def ledger() -> None:
    """The trusted ledger: anchor, verify, audit."""


@ledger.command("anchor")
@with_appcontext
def anchor() -> None:
    """Sign the newest tree head and anchor it on the chain now."""
    from honestmeter.ledger import anchoring

    outcome = anchoring.anchor_pending()
    latest = services.latest_anchor()
    click.echo(f"{outcome}; tree size {services.tree_size()}, anchored {latest.tree_size if latest else 0}")
    if outcome == "node-unavailable":
        raise SystemExit(1)


@ledger.command("status")
@with_appcontext
def status() -> None:
    """Tree size, newest checkpoint and anchor, leaves waiting."""
    from honestmeter.ledger import anchoring

    state = anchoring.chain_state()
    latest = services.latest_anchor()
    click.echo(f"tree size: {services.tree_size()}")
    click.echo(f"root: {services.current_root().hex()}")
    click.echo(f"anchored: {latest.tree_size if latest else 0} ({latest.tx_hash if latest else '-'})")
    click.echo(f"pending: {services.pending_leaves()}")
    click.echo(f"chain: {state.chain_id} contract {state.contract}")
    if state.alarm:
        click.echo(f"ALARM: {state.alarm}")


def _rpc_reader(url: str):  # type: ignore[no-untyped-def]
    from honestmeter.ledger.chain import Web3AnchorClient

    chain = Web3AnchorClient.connect(url)

    def root_at(chain_id: int, contract: str, tree_size: int) -> bytes:
        if chain.chain_id() != chain_id:
            return b"\x00" * 32
        return chain.root_at(contract, tree_size)

    return root_at


@ledger.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "trusted_key", default=None, help="Pin the log's verifier key (from /api/v1/ledger/key).")
@click.option("--rpc", default=None, help="Check the anchor on this JSON-RPC node of the chain.")
def verify(file: Path, trusted_key: str | None, rpc: str | None) -> None:
    """Verify a bundle JSON offline (exit 0 valid, 1 invalid with the reasons).

    Any other file (a PDF notice) is looked up by its SHA-256 in this deployment's ledger first.
    """
    data = file.read_bytes()
    try:
        bundle = json.loads(data)
        if not isinstance(bundle, dict) or "format" not in bundle:
            raise ValueError
    except ValueError:
        bundle = _bundle_for_file(data)
    problems = bundles.verify(bundle, trusted_key=trusted_key, rpc_root_at=_rpc_reader(rpc) if rpc else None)
    if problems:
        for problem in problems:
            click.echo(f"INVALID: {problem}", err=True)
        raise SystemExit(1)
    anchor = bundle["anchor"]
    click.echo(
        f"VALID: leaf {bundle['leaf_index']} of tree {bundle['tree_size']}, anchored on chain {anchor['chain_id']} "
        f"contract {anchor['contract']} in tx {anchor['tx_hash']} (block {anchor['block_number']})"
    )


def _bundle_for_file(data: bytes) -> dict[str, object]:
    # Only this path needs the deployment's database; a bundle verifies with no app at all.
    from flask import current_app
    from flask.cli import ScriptInfo

    from honestmeter.errors import NotFound

    if current_app:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
    else:  # the app the `honestmeter` command group builds (honestmeter.__main__), as `with_appcontext` would load it
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    with app.app_context():
        try:
            return services.bundle_json(services.entry_by_file(services.sha256(data)))
        except NotFound as err:
            raise click.ClickException(f"INVALID: {err.message}") from err


@ledger.command("audit")
@with_appcontext
def audit() -> None:
    """Check stored leaves against signed and anchored roots, rows against records, and the chain."""
    from honestmeter.ledger import audit as audits

    problems = audits.run()
    for problem in problems:
        click.echo(f"FAIL: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"OK: {services.tree_size()} leaves, rows match their newest records, chain holds every anchor")
