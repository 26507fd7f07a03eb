"""Account use cases on the real database: registration, approval, sign-in, lock-out, passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest

from honestmeter import clock
from honestmeter.auth import services
from honestmeter.auth.models import AccountStatus
from honestmeter.errors import InvalidTransition, PermissionDenied, ValidationFailed
from honestmeter.merchants import services as merchant_services
from honestmeter.merchants.queries import find_by_uscc
from honestmeter.roles import Role
from tests.factories import PASSWORD, MerchantFactory, UserFactory

FACTS = merchant_services.MerchantFacts(
    uscc="914403001922038216",
    name="华为技术有限公司",
    sector_code="retail",
    region_code="440305",
    address="深圳市龙岗区坂田华为基地",
    legal_representative="赵明路",
    contact_phone="0755-28780808",
)


def register(username: str = "huawei", **kwargs: object) -> object:
    args = {"username": username, "password": "Secret123", "display_name": "李四", "auto_approve": False}
    args.update(kwargs)
    return merchant_services.register_account(FACTS, **args)  # type: ignore[arg-type]


def test_registration_creates_merchant_and_pending_account() -> None:
    user = register()
    assert user.status is AccountStatus.PENDING
    assert user.role is Role.MERCHANT
    merchant = find_by_uscc("914403001922038216")
    assert merchant is not None and user.merchant_id == merchant.id
    assert merchant.name == "华为技术有限公司"


def test_registration_claims_an_existing_directory_entry_without_changing_it() -> None:
    existing = MerchantFactory(uscc="914403001922038216", name="名录库中的名称")
    user = register()
    assert user.merchant_id == existing.id
    assert existing.name == "名录库中的名称"


def test_auto_approval_activates_at_once() -> None:
    assert register(auto_approve=True).status is AccountStatus.ACTIVE


def test_registration_with_bad_uscc_names_the_check_character_and_keeps_nothing() -> None:
    bad = merchant_services.MerchantFacts(**{**FACTS.__dict__, "uscc": "914403001922038215"})
    with pytest.raises(ValidationFailed) as err:
        merchant_services.register_account(
            bad, username="x1", password="Secret123", display_name="x", auto_approve=False
        )
    assert err.value.field == "uscc"
    assert "第18位" in err.value.message and "“6”" in err.value.message
    assert find_by_uscc("914403001922038215") is None


def test_registration_with_taken_username_rolls_back_the_new_merchant() -> None:
    UserFactory(username="huawei")
    with pytest.raises(ValidationFailed, match="用户名已被使用"):
        register("HuaWei")
    assert find_by_uscc("914403001922038216") is None


@pytest.mark.parametrize(("password", "message"), [("short1", "至少需要8位"), ("lettersonly", "字母和数字")])
def test_password_policy(password: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        register(password=password)


def test_approve_then_sign_in() -> None:
    admin = UserFactory()
    user = register()
    with pytest.raises(PermissionDenied, match="等待"):
        services.authenticate("huawei", "Secret123")
    services.approve_account(user.id, decided_by=admin)
    assert services.authenticate("huawei", "Secret123").id == user.id
    assert user.decided_by_id == admin.id and user.last_login_at is not None
    with pytest.raises(InvalidTransition):
        services.approve_account(user.id, decided_by=admin)


def test_reject_needs_a_reason_and_shows_it_on_sign_in() -> None:
    admin = UserFactory()
    user = register()
    with pytest.raises(ValidationFailed):
        services.reject_account(user.id, decided_by=admin, reason="  ")
    services.reject_account(user.id, decided_by=admin, reason="营业执照信息不符")
    with pytest.raises(PermissionDenied, match="营业执照信息不符"):
        services.authenticate("huawei", "Secret123")


def test_unknown_user_and_wrong_password_look_the_same() -> None:
    UserFactory(username="alice")
    with pytest.raises(ValidationFailed) as unknown:
        services.authenticate("nobody", PASSWORD)
    with pytest.raises(ValidationFailed) as wrong:
        services.authenticate("alice", "wrong-password1")
    assert unknown.value.message == wrong.value.message


def test_lockout_after_repeated_failures_then_expiry() -> None:
    UserFactory(username="alice")
    start = clock.utcnow()
    with clock.frozen(start):
        for _ in range(services.LOCKOUT_THRESHOLD):
            with pytest.raises(ValidationFailed):
                services.authenticate("alice", "wrong-password1")
        with pytest.raises(PermissionDenied, match="锁定"):
            services.authenticate("alice", PASSWORD)  # even the right password is refused while locked
    with clock.frozen(start + services.LOCKOUT_PERIOD + timedelta(seconds=1)):
        assert services.authenticate("alice", PASSWORD).username == "alice"


def test_change_password_revokes_other_sessions() -> None:
    user = UserFactory()
    old_session_id = user.get_id()
    with pytest.raises(ValidationFailed, match="当前密码"):
        services.change_password(user, current="nope", new="NewPass123")
    services.change_password(user, current=PASSWORD, new="NewPass123")
    assert services.load_user(old_session_id) is None
    assert services.load_user(user.get_id()) is user
    assert services.authenticate(user.username, "NewPass123") is user


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1:x", "999999:0"])
def test_load_user_rejects_malformed_or_unknown_ids(session_id: str) -> None:
    assert services.load_user(session_id) is None


def test_create_user_links_merchant_accounts_only() -> None:
    merchant = MerchantFactory()
    with pytest.raises(ValidationFailed, match="关联"):
        services.create_user(username="merchant1", password="Secret123", role=Role.MERCHANT)
    with pytest.raises(ValidationFailed, match="关联"):
        services.create_user(username="admin1", password="Secret123", role=Role.ADMIN, merchant=merchant)
    user = services.create_user(username="merchant1", password="Secret123", role=Role.MERCHANT, merchant=merchant)
    assert user.status is AccountStatus.ACTIVE and user.merchant is merchant
