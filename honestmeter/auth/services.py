"""Account use cases: registration, approval, sign-in with lock-out, passwords."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from honestmeter import clock
from honestmeter.auth import passwords
from honestmeter.auth.models import AccountStatus, User
from honestmeter.db import unit_of_work
from honestmeter.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from honestmeter.extensions import db, limiter
from honestmeter.roles import Role
from honestmeter.tables import N_

if TYPE_CHECKING:
    from honestmeter.merchants.models import Merchant

# Consecutive failures before an account is locked, and for how long: slows online guessing per
# account even when the attacker rotates addresses past the per-IP rate limit.
LOCKOUT_THRESHOLD = 5
LOCKOUT_PERIOD = timedelta(minutes=15)


def _check_username(username: str) -> str:
    name = username.strip()
    if not (3 <= len(name) <= 64) or not all(c.isalnum() or c in "._-@" for c in name):
        raise ValidationFailed("用户名需为3—64位字母、数字或 . _ - @", field="username")
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == name.lower())):
        raise ValidationFailed("用户名已被使用", field="username")
    return name


def new_user(
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str,
    status: AccountStatus,
    merchant: Merchant | None = None,
    email: str | None = None,
    phone: str | None = None,
) -> User:
    """Build and add a user (the caller owns the transaction)."""
    passwords.check_policy(password)
    user = User(
        username=_check_username(username),
        display_name=display_name.strip() or username,
        password_hash=passwords.hash_password(password),
        role=role,
        status=status,
        merchant=merchant,
        email=email or None,
        phone=phone or None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_user(
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str = "",
    merchant: Merchant | None = None,
    email: str | None = None,
) -> User:
    """Operator creates an active account (CLI `honestmeter create-user`, admin console)."""
    with unit_of_work(db.session):
        if (role is Role.MERCHANT) != (merchant is not None):
            raise ValidationFailed("经营者账号必须且只能关联一个经营者", field="merchant_uscc")
        return new_user(
            username=username,
            password=password,
            role=role,
            display_name=display_name or username,
            status=AccountStatus.ACTIVE,
            merchant=merchant,
            email=email,
        )


def _decide(user_id: int, decided_by: User, status: AccountStatus, note: str | None) -> User:
    with unit_of_work(db.session):
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("账号不存在")
        if user.status is not AccountStatus.PENDING:
            raise InvalidTransition("该账号不在待审核状态")
        user.status = status
        user.decided_by_id = decided_by.id
        user.decided_at = clock.utcnow()
        user.decision_note = note
        return user


def approve_account(user_id: int, *, decided_by: User) -> User:
    """Regulator confirms a merchant's registration; the account can sign in from now on."""
    return _decide(user_id, decided_by, AccountStatus.ACTIVE, None)


def reject_account(user_id: int, *, decided_by: User, reason: str) -> User:
    """Regulator refuses a registration, with a reason the applicant sees on sign-in."""
    if not reason.strip():
        raise ValidationFailed("请填写不予通过的理由", field="reason")
    return _decide(user_id, decided_by, AccountStatus.REJECTED, reason.strip())


LOCKED = N_("登录失败次数过多，账号已临时锁定，请15分钟后再试")


def _unknown_name_locked(name: str, *, failed: bool) -> bool:
    """Lock-out for a user name that has no account, so that the lock message cannot tell anyone which names
    exist: the same 5 failures lock it for the same 15 minutes. Kept in the rate limiter's storage (shared by
    all workers when RATELIMIT_STORAGE_URI is), not in the database: nobody's row is written for a guess."""
    storage = getattr(limiter, "_storage", None)
    if storage is None:  # rate limiting switched off
        return False
    key = f"honestmeter/login/{name}"
    if storage.get(key + "/locked"):
        return True
    if failed and storage.incr(key + "/failures", int(LOCKOUT_PERIOD.total_seconds())) >= LOCKOUT_THRESHOLD:
        storage.clear(key + "/failures")
        storage.incr(key + "/locked", int(LOCKOUT_PERIOD.total_seconds()))
    return False


def _check_credentials(username: str, password: str, now: datetime) -> User | None:
    """The user if the password matches; otherwise None, with the failure counted and committed."""
    with unit_of_work(db.session):
        name = username.strip().lower()
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.username) == name))
        if user is None:
            if _unknown_name_locked(name, failed=False):
                raise PermissionDenied(LOCKED)
            passwords.verify_password(None, password)  # same cost as a real check
            _unknown_name_locked(name, failed=True)
            return None
        if user.locked_until is not None and user.locked_until > now:
            raise PermissionDenied(LOCKED)
        if passwords.verify_password(user.password_hash, password):
            user.failed_logins = 0
            user.locked_until = None
            if user.status is AccountStatus.ACTIVE:
                user.last_login_at = now
            return user
        user.failed_logins += 1
        if user.failed_logins >= LOCKOUT_THRESHOLD:
            user.locked_until = now + LOCKOUT_PERIOD
            user.failed_logins = 0
        return None


def authenticate(username: str, password: str) -> User:
    """Check credentials and account state; lock the account after repeated failures.

    The same message is given for an unknown user and a wrong password so the form cannot be used
    to discover account names.
    """
    user = _check_credentials(username, password, clock.utcnow())
    if user is None:
        raise ValidationFailed("用户名或密码错误", field="password")
    if user.status is AccountStatus.PENDING:
        raise PermissionDenied("账号正在等待监管部门审核")
    if user.status is AccountStatus.REJECTED:
        raise PermissionDenied(f"注册未通过审核：{user.decision_note or ''}")
    if user.status is AccountStatus.DISABLED:
        raise PermissionDenied("账号已停用")
    return user


def end_sessions(user: User) -> None:
    """Sign-out: every session cookie issued to the account so far stops working, including a copy of the one
    just signed out (the cookie itself lives on in the browser and in anything that captured it)."""
    with unit_of_work(db.session):
        user.session_epoch += 1


def change_password(user: User, *, current: str, new: str) -> None:
    """Change a password; every other session of the account is signed out. The current password is checked like a
    sign-in (failures counted, the account locked after LOCKOUT_THRESHOLD): a borrowed session cannot guess it."""
    if _check_credentials(user.username, current, clock.utcnow()) is None:
        raise ValidationFailed("当前密码不正确", field="current")
    passwords.check_policy(new)
    with unit_of_work(db.session):
        user.password_hash = passwords.hash_password(new)
        user.session_epoch += 1


def load_user(session_id: str) -> User | None:
    """Resolve the id stored in the session cookie; a stale epoch means the session was revoked."""
    user_id, _, epoch = session_id.partition(":")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_epoch != int(epoch):
        return None
    return user


def pending_accounts() -> list[User]:
    return list(
        db.session.scalars(sa.select(User).where(User.status == AccountStatus.PENDING).order_by(User.created_at))
    )
