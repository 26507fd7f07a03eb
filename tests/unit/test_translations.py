"""Every user-visible string in code and templates has an English translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
    "ngettext": (1, 2),
    "ValidationFailed": None,
    "PermissionDenied": None,
    "NotFound": None,
    "InvalidTransition": None,
    "DomainError": None,
}
METHODS = [("honestmeter/**.py", "python"), ("honestmeter/templates/**.html", "jinja2")]


def test_english_catalogue_covers_every_message() -> None:
    with (ROOT / "honestmeter/translations/en/LC_MESSAGES/messages.po").open("rb") as fh:
        catalogue = read_po(fh)
    translated = {m.id for m in catalogue if m.id and m.string and not m.fuzzy}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(ROOT), METHODS, keywords=KEYWORDS)
    }
    missing = sorted(found - translated)
    assert not missing, "run `make translations` and translate: " + ", ".join(missing[:20])
