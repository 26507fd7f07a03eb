"""The deployment's Ed25519 log key: from LEDGER_SIGNING_KEY, or generated once under var/ledger/."""

from __future__ import annotations

import base64
from pathlib import Path

from honestmeter.config import write_secret_once
from honestmeter.ledger import checkpoint
from honestmeter.settings import settings


def _key_file() -> Path:
    return Path(settings().VAR_DIR) / "ledger" / "log_key"


def signing_seed() -> bytes:
    """The 32-byte Ed25519 seed. Kept out of the database so a database dump cannot forge checkpoints."""
    configured = settings().LEDGER_SIGNING_KEY
    if configured:
        return base64.b64decode(configured)
    path = _key_file()
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    return base64.b64decode(write_secret_once(path, base64.b64encode(checkpoint.generate_key()).decode()))


def origin() -> str:
    return settings().LEDGER_ORIGIN


def verifier_key() -> str:
    """The public verifier key in signed-note form: `<origin>+<key hash>+<base64 key>`."""
    return checkpoint.verifier_key(origin(), checkpoint.public_key(signing_seed()))
