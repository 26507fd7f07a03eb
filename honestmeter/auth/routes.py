"""Sign-in, sign-out, password change and the regulator's account-approval queue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from honestmeter.auth import services
from honestmeter.auth.forms import DecisionForm, LoginForm, PasswordForm
from honestmeter.errors import DomainError
from honestmeter.extensions import limiter
from honestmeter.security import (
    admin_required,
    any_role_required,
    home_url_for,
    public,
    redirect_home,
    safe_next,
)
from honestmeter.settings import settings
from honestmeter.web import show_error

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return settings().LOGIN_RATE_LIMIT


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@public
def login() -> Any:
    if current_user.is_authenticated and request.method == "GET":
        # A sign-in posted from a browser that holds someone's session (one planted in it, say) signs in the
        # account whose password was given, in a fresh session, instead of carrying on as the holder.
        return redirect_home()
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data or "", form.password.data or "")
        except DomainError as err:
            show_error(form, err)
        else:
            session.clear()  # a fresh session on sign-in defeats session fixation
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next(request.args.get("next")) or home_url_for(user.role))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@any_role_required
def logout() -> Any:
    services.end_sessions(current_user)  # a replayed copy of this cookie must not stay signed in
    logout_user()
    session.clear()
    flash(_("已退出登录"), "info")
    return redirect(url_for("public.home"))


@bp.route("/account/password", methods=["GET", "POST"])
@any_role_required
@limiter.limit(_login_limit, methods=["POST"])  # the same per-address throttle as sign-in
def change_password() -> Any:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, current=form.current.data or "", new=form.new.data or "")
        except DomainError as err:
            show_error(form, err)
        else:
            # Re-issue this session with the new epoch; others are void. The user itself, not the current_user
            # proxy: stored as the proxy, current_user would resolve to itself forever (the worker crashed).
            login_user(current_user._get_current_object())
            flash(_("密码已修改，其他设备上的登录已失效"), "success")
            return redirect_home()
    return render_template("auth/password.html", form=form)


@bp.route("/admin/accounts")
@admin_required
def pending_accounts() -> Any:
    return render_template("auth/pending_accounts.html", users=services.pending_accounts(), form=DecisionForm())


@bp.route("/admin/accounts/<int:user_id>/approve", methods=["POST"])
@admin_required
def approve_account(user_id: int) -> Any:
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            user = services.approve_account(user_id, decided_by=current_user)
            flash(_("已通过 %(name)s 的注册申请", name=user.display_name), "success")
        except DomainError as err:
            show_error(None, err)
    return redirect(url_for("auth.pending_accounts"))


@bp.route("/admin/accounts/<int:user_id>/reject", methods=["POST"])
@admin_required
def reject_account(user_id: int) -> Any:
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            user = services.reject_account(user_id, decided_by=current_user, reason=form.reason.data or "")
            flash(_("已驳回 %(name)s 的注册申请", name=user.display_name), "success")
        except DomainError as err:
            show_error(None, err)
    return redirect(url_for("auth.pending_accounts"))
