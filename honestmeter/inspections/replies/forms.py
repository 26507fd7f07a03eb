"""Forms of the right-of-reply pages: the merchant's reply, the regulator's decision."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from honestmeter.inspections.replies.services import MAX_BODY, MAX_NOTE, MIN_BODY


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("回复/说明"),
        validators=[DataRequired(), Length(min=MIN_BODY, max=MAX_BODY, message=_l("说明须为 10 至 1000 个字"))],
        render_kw={"rows": 6, "maxlength": MAX_BODY},
    )


class ApproveReplyForm(FlaskForm):
    note = TextAreaField(
        _l("审核意见（可选）"), validators=[Optional(), Length(max=MAX_NOTE, message=_l("审核意见不能超过 500 个字"))]
    )


class RejectReplyForm(FlaskForm):
    note = TextAreaField(
        _l("不予公开的理由"), validators=[DataRequired(), Length(max=MAX_NOTE, message=_l("审核意见不能超过 500 个字"))]
    )
