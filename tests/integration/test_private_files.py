"""The var dir and the embedded database are the service account's alone (issue 16 §18): 0700 and 0600."""

from __future__ import annotations

import stat
from pathlib import Path

from flask_migrate import upgrade

from honestmeter.app import create_app
from honestmeter.storage import private_dir


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_deployment_keeps_var_and_the_database_private(tmp_path: Path) -> None:
    var = tmp_path / "var"
    database = var / "honestmeter.db"
    app = create_app({"VAR_DIR": str(var), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "SECRET_KEY": ""})
    with app.app_context():
        upgrade()
    assert _mode(var) == 0o700
    assert _mode(database) == 0o600
    assert _mode(var / "secret_key") == 0o600
    assert all(_mode(path) == 0o600 for path in var.glob("honestmeter.db-*"))  # WAL and shared memory, if any


def test_an_existing_var_dir_open_to_others_is_tightened(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    private_dir(var)
    assert _mode(var) == 0o700
