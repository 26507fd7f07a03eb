"""Downloads: the public 承诺书 PDF and the merchant's premises sticker."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, request
from flask_login import current_user

from honestmeter.merchants.queries import find_by_uscc
from honestmeter.notices import services
from honestmeter.notices.models import Notice
from honestmeter.security import merchant_required, public

bp = Blueprint("notices", __name__)


def send_pdf(notice: Notice, filename: str) -> Any:
    """The stored PDF of an issued notice, with its SHA-256 as ETag (other blueprints serve notices with it)."""
    # Notices are small; reading them whole keeps no file handle open past the response.
    response = Response(services.path_of(notice).read_bytes(), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["X-Content-SHA256"] = notice.sha256.hex()
    response.set_etag(notice.sha256.hex())
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.route("/merchants/<uscc>/commitment.pdf")
@public
def commitment_pdf(uscc: str) -> Any:
    merchant = find_by_uscc(uscc)
    if merchant is None:
        abort(404)
    return send_pdf(services.commitment_notice(merchant, request.url_root), f"commitment-{merchant.uscc}.pdf")


@bp.route("/portal/sticker.pdf")
@merchant_required
def sticker_pdf() -> Any:
    merchant = current_user.merchant
    return send_pdf(services.sticker_notice(merchant, request.url_root), f"sticker-{merchant.uscc}.pdf")
