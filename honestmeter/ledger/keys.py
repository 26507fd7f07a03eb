"""The deployment's Ed25519 log key: from LEDGER_SIGNING_KEY, or generated once under var/ledger/."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from flask import current_app

from honestmeter.ledger import checkpoint


def _key_file() -> Path:
    return Path(current_app.config["VAR_DIR"]) / "ledger" / "log_key"


def signing_seed() -> bytes:
    """The 32-byte Ed25519 seed. Kept out of the database so a database dump cannot forge checkpoints."""
    configured = current_app.config.get("LEDGER_SIGNING_KEY")
    if configured:
        return base64.b64decode(configured)
    path = _key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = checkpoint.generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process generated it first
            return base64.b64decode(path.read_text().strip())
        with os.fdopen(fd, "w") as fh:
            fh.write(base64.b64encode(seed).decode())
        return seed
    return base64.b64decode(path.read_text().strip())


def origin() -> str:
    return str(current_app.config["LEDGER_ORIGIN"])


def verifier_key() -> str:
    """The public verifier key in signed-note form: `<origin>+<key hash>+<base64 key>`."""
    return checkpoint.verifier_key(origin(), checkpoint.public_key(signing_seed()))
