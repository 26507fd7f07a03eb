"""Migrations: one head, no drift from the models, and a clean down/up round trip on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from honestmeter.app import MIGRATIONS_DIR
from honestmeter.extensions import db
from honestmeter.merchants.search import include_name
from tests.conftest import empty_database, make_test_app


def script_directory() -> ScriptDirectory:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def drift(connection: sa.Connection) -> list[object]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True, "include_name": include_name}
    )
    return list(compare_metadata(context, db.metadata))


def test_single_head() -> None:
    assert len(script_directory().get_heads()) == 1


def test_revision_files_have_descriptive_names() -> None:
    for script in script_directory().walk_revisions():
        assert script.doc and script.doc != "empty message"
        assert Path(script.path).name.count("_") >= 3


def test_upgraded_schema_matches_the_models(app: Flask) -> None:
    # The test's own connection: on SQLite it holds the write lock for the length of the test.
    assert drift(db.session.connection()) == []


def test_downgrade_to_base_and_upgrade_again(tmp_path: Path) -> None:
    with empty_database(tmp_path) as url:
        scratch = make_test_app(url, tmp_path)
        with scratch.app_context():
            upgrade()
            downgrade(revision="base")
            with db.engine.connect() as connection:
                tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
            assert tables == set()
            upgrade()
            with db.engine.connect() as connection:
                assert drift(connection) == []
            db.engine.dispose()


@pytest.mark.parametrize("table", ["sectors", "regions", "instrument_types"])
def test_reference_data_is_seeded(app: Flask, table: str) -> None:
    assert db.session.scalar(sa.select(sa.func.count()).select_from(sa.table(table))) > 5
