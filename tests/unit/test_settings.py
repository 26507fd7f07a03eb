"""settings(): Config's names and types, read live from the app's config mapping (no app needed to check that)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

from honestmeter.config import Config
from honestmeter.settings import Settings

PACKAGE = Path(__file__).resolve().parents[2] / "honestmeter"
# Flask-level wiring may read the raw mapping (secret key, proxies, cookies, extensions' own keys).
RAW_CONFIG_ALLOWED = {"app.py", "security.py", "settings.py", "config.py"}


def test_every_config_field_reads_the_mapping_live() -> None:
    mapping = Config().as_mapping()
    view = Settings(mapping)
    for f in fields(Config):
        assert getattr(view, f.name) == mapping[f.name]
    mapping["AUTHORITY_NAME"] = "杭州市市场监督管理局"  # as a test's app.config[...] = … would
    assert view.AUTHORITY_NAME == "杭州市市场监督管理局"


def test_no_module_reads_the_raw_config() -> None:
    raw = re.compile(r"current_app\.config\b|\bapp\.config\[|\bapp\.config\.get\(")
    found = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if str(path.relative_to(PACKAGE)) not in RAW_CONFIG_ALLOWED and raw.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
