"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from honestmeter.errors import ValidationFailed

_hasher = PasswordHasher()
# Verified against when the username does not exist, so a miss costs as long as a hit.
_dummy_hash: str | None = None

MIN_LENGTH = 8


def configure(time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Set argon2 costs (tests lower them; production keeps the library's RFC 9106 defaults)."""
    global _hasher, _dummy_hash  # noqa: PLW0603 — one hasher per process
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    global _dummy_hash  # noqa: PLW0603
    if password_hash is None:
        _dummy_hash = _dummy_hash or _hasher.hash("timing-equaliser")
        password_hash = _dummy_hash
        password = password + "\x00never"
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_policy(password: str) -> None:
    """At least 8 characters with both letters and digits (GB/T 22239 level-2 practice)."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(f"密码至少需要{MIN_LENGTH}位", field="password")
    if not any(c.isdigit() for c in password) or not any(c.isalpha() for c in password):
        raise ValidationFailed("密码需同时包含字母和数字", field="password")
