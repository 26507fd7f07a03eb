"""C2SP checkpoints as Ed25519 signed notes: formats, the Go sumdb/note vector, and rejections."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from honestmeter.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    generate_key,
    key_hash,
    open_checkpoint,
    open_note,
    parse_verifier_key,
    public_key,
    sign,
    sign_note,
    verifier_key,
)

SEED = bytes(range(32))
NAME = "honestmeter.example/log"
ROOT = hashlib.sha256(b"root").digest()
CP = Checkpoint("honestmeter.example/log", 1234, ROOT)

# golang.org/x/mod/sumdb/note note_test.go: the PeterNeumann key and its published signed note.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def verifier() -> str:
    return verifier_key(NAME, public_key(SEED))


def test_body_format() -> None:
    assert CP.body() == f"honestmeter.example/log\n1234\n{base64.b64encode(ROOT).decode()}\n"


def test_round_trip() -> None:
    note = sign(CP, NAME, SEED)
    body, sig_line = note.split("\n\n")
    assert body + "\n" == CP.body()
    assert sig_line.startswith(f"\u2014 {NAME} ") and sig_line.endswith("\n")
    assert open_checkpoint(note, verifier()) == CP
    empty = Checkpoint("o", 0, hashlib.sha256(b"").digest())
    assert open_checkpoint(sign(empty, NAME, SEED), verifier()) == empty


def test_key_hash_and_verifier_key_follow_the_spec_formula() -> None:
    public = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()
    assert public_key(SEED) == public
    expected_hash = hashlib.sha256(NAME.encode() + b"\n" + b"\x01" + public).digest()[:4]
    assert key_hash(NAME, public) == expected_hash
    vkey = verifier_key(NAME, public)
    key_b64 = base64.b64encode(b"\x01" + public).decode()
    assert vkey == f"{NAME}+{expected_hash.hex()}+{key_b64}"
    hash_hex, key_part = vkey.split("+", 2)[1:]
    assert len(hash_hex) == 8 and hash_hex == hash_hex.lower()
    assert base64.b64decode(key_part)[0] == 1
    assert parse_verifier_key(vkey) == (NAME, public)
    # The signature blob opens with the same 4-byte key hash.
    sig_b64 = sign(CP, NAME, SEED).rstrip("\n").rsplit(" ", 1)[1]
    assert base64.b64decode(sig_b64)[:4] == expected_hash
    assert len(base64.b64decode(sig_b64)) == 4 + 64


def test_go_sumdb_note_vector() -> None:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    assert verifier_key("PeterNeumann", public_key(seed)) == GO_VKEY
    # Ed25519 is deterministic, so our signature reproduces the published note byte for byte.
    assert sign_note(GO_TEXT, "PeterNeumann", seed) == GO_NOTE
    assert open_note(GO_NOTE, GO_VKEY) == GO_TEXT
    with pytest.raises(CheckpointError, match="signature is invalid"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), GO_VKEY)


def test_generated_keys_work() -> None:
    seed = generate_key()
    assert len(seed) == 32
    assert seed != generate_key()
    assert open_checkpoint(sign(CP, "k", seed), verifier_key("k", public_key(seed))) == CP


def _resign_body(note: str, old: str, new: str) -> str:
    body, sigs = note.split("\n\n")
    return body.replace(old, new) + "\n\n" + sigs


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("\n1234\n", "\n1235\n"),
        ("\n1234\n", "\n12340\n"),
        (base64.b64encode(ROOT).decode(), base64.b64encode(hashlib.sha256(b"other").digest()).decode()),
        ("honestmeter.example/log\n", "evil.example/log\n"),
    ],
)
def test_altered_body_is_rejected(old: str, new: str) -> None:
    note = _resign_body(sign(CP, NAME, SEED), old, new)
    with pytest.raises(CheckpointError, match="signature is invalid"):
        open_checkpoint(note, verifier())


def test_wrong_key_is_rejected() -> None:
    note = sign(CP, NAME, SEED)
    other = bytes(32)
    with pytest.raises(CheckpointError, match="no signature by the key"):
        open_checkpoint(note, verifier_key(NAME, public_key(other)))
    with pytest.raises(CheckpointError, match="no signature by the key"):
        open_checkpoint(note, verifier_key("other", public_key(SEED)))
    # Our name and key hash in front of a signature made by another key.
    body, sig_line = sign(CP, NAME, other).split("\n\n")
    blob = base64.b64decode(sig_line.rstrip("\n").rsplit(" ", 1)[1])
    forged_blob = base64.b64encode(key_hash(NAME, public_key(SEED)) + blob[4:]).decode()
    with pytest.raises(CheckpointError, match="signature is invalid"):
        open_checkpoint(f"{body}\n\n\u2014 {NAME} {forged_blob}\n", verifier())


def test_other_signatures_are_ignored() -> None:
    note = sign(CP, NAME, SEED)
    witness = sign(CP, "witness.example", bytes(32)).split("\n\n")[1]
    assert open_checkpoint(note + witness, verifier()) == CP
    with pytest.raises(CheckpointError, match="no signature by the key"):
        open_checkpoint(CP.body() + "\n" + witness, verifier())


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        ("no newline", "newline"),
        ("a\nb\n", "blank line"),
        ("a\n\n", "no signatures"),
        ("a\n\n- name AAAA\n", "em dash"),
        ("a\n\n\u2014 name\n", "no signature after"),
        ("a\n\n\u2014 name !!!!\n", "base64"),
        ("a\n\n\u2014 name AAAA\n", "too short"),
        ("a\r\n\n\u2014 name AAAAAAA=\n", "control"),
    ],
)
def test_malformed_notes(note: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        open_checkpoint(note, verifier())


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("origin\n1\n", "origin, a tree size and a root"),
        ("origin\n01\n" + base64.b64encode(ROOT).decode() + "\n", "decimal"),
        ("origin\n-1\n" + base64.b64encode(ROOT).decode() + "\n", "decimal"),
        (f"origin\n{2**64}\n" + base64.b64encode(ROOT).decode() + "\n", "64-bit"),
        ("origin\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n", "31 bytes"),
        ("origin\n1\n" + base64.b64encode(ROOT).decode().rstrip("=") + "\n", "base64"),
        ("origin\n1\n" + base64.b64encode(ROOT).decode() + "\next\n", "extension"),
    ],
)
def test_malformed_bodies_are_rejected_even_when_signed(body: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        open_checkpoint(sign_note(body, NAME, SEED), verifier())


@pytest.mark.parametrize(
    "vkey",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        GO_VKEY.replace("c74f20a3", "C74F20A3"),
        GO_VKEY.replace("+ARpc", "+AhpC"),
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        GO_VKEY[:-4],
    ],
)
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(CheckpointError):
        parse_verifier_key(vkey)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\nb"])
def test_bad_key_names(name: str) -> None:
    with pytest.raises(CheckpointError, match="key name"):
        verifier_key(name, public_key(SEED))
    with pytest.raises(CheckpointError, match="key name"):
        sign(CP, name, SEED)


def test_checkpoint_validation() -> None:
    with pytest.raises(CheckpointError, match="32 bytes"):
        Checkpoint("o", 1, b"short")
    with pytest.raises(CheckpointError, match="origin"):
        Checkpoint("", 1, ROOT)
    with pytest.raises(CheckpointError, match="origin"):
        Checkpoint("a\nb", 1, ROOT)
    with pytest.raises(CheckpointError, match="64-bit"):
        Checkpoint("o", -1, ROOT)
