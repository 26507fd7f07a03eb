"""Open data API v1 (诚信计量公开数据接口): merchants, published results, lists, and the one OpenAPI document
(/api/v1/openapi.json) that also describes the ledger and draw routes other packages own.

The version is in the path (/api/v1/…); there is no version header. Everything here is public and read-only.
flask-smorest builds the document from the schemas the views dump through (api/schemas.py); the ledger and
draws are described by hand (api/documented.py) because their views must keep answering DESIGN's exact bytes.
api/http.py applies the rate limit and the ETag/Cache-Control caching to every /api/v1 route.

Adding endpoints (e.g. the complaint endpoints): put the views on `routes.blp` (or a new flask_smorest
Blueprint listed in BLUEPRINTS below) with `tags=[...]` and `@public`; they are documented, rate limited and
cached without further wiring, because init_app wraps every /api/v1 route after registering them all.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_smorest import Api

from honestmeter.security import public

TITLE = "诚信计量公开数据接口"
VERSION = "1.0.0"
DESCRIPTION = """\
诚信计量信用监管平台的公开数据接口：经营者检索与详情（计量信用等级、诚信承诺、计量器具检定状态、已公示的抽查检查结果、
公示中的名录和行政处罚）、全部已公示的检查结果、名录、“双随机”摇号和可信账本。接口只读、无需登录；版本号在路径中
（`/api/v1/`），不使用版本请求头。列表接口支持 `?format=csv`。每项事实附带其账本记录的叶哈希（`leaf_hash`），
可用 `/api/v1/ledger/bundle/{leaf_hash}` 取得核验包，离线核验。说明文档见 docs/api.md。

The open data API of the honest-metering credit supervision platform: merchant search and detail (metrology credit
grade, self-commitment, instruments and their verification status, published spot-check results, list entries and
penalties in force), all published results, public lists, the verifiable random draws and the trusted ledger.
Read-only, no sign-in; the version is in the path (`/api/v1/`), never in a header. List endpoints answer CSV with
`?format=csv`. Every fact carries the leaf hash of its ledger record (`leaf_hash`); fetch
`/api/v1/ledger/bundle/{leaf_hash}` and verify it offline. Rate limited per client address (HTTP 429); GET
responses carry an ETag (send If-None-Match for a 304). Developer guide: docs/api.md.
"""

TAGS = (
    ("merchants", "经营者检索与详情 / Merchant search and detail"),
    ("results", "已公示的抽查检查结果 / Published inspection results"),
    ("lists", "经营异常名录、严重违法失信名单、诚信计量示范单位 / Public lists"),
    ("draws", "可验证的“双随机”摇号（DESIGN §5）/ Verifiable random draws"),
    ("ledger", "可信账本：记录、证明、树头（docs/ledger.md）/ Trusted ledger: records, proofs, checkpoints"),
    ("complaints", "投诉举报：提交与凭查询码查询进度（docs/complaints.md）/ Complaints: file and follow"),
)

# Settings of flask-smorest: the document at /api/v1/openapi.json and nothing else (no UI page: its scripts would
# come from a CDN, and pages here are served from this origin only).
SMOREST_CONFIG: dict[str, Any] = {
    "API_TITLE": TITLE,
    "API_VERSION": VERSION,
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_REDOC_PATH": None,
    "OPENAPI_SWAGGER_UI_PATH": None,
    "OPENAPI_RAPIDOC_PATH": None,
}


class OpenDataApi(Api):
    """flask-smorest's Api, with this app's JSON errors and a public OpenAPI document."""

    def __init__(self) -> None:
        from honestmeter.api import schemas

        self.ERROR_SCHEMA = schemas.Error
        super().__init__()

    def _register_error_handlers(self) -> None:
        """None app-wide: smorest's handler would answer every HTML page's errors with JSON. The API's
        blueprints register their own (init_app), other /api/ routes get app.py's JSON handler."""

    def register_blueprint(self, blp: Any, **options: Any) -> None:
        """As smorest's, without a tag per blueprint: operations carry their own tags (TAGS)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=None)

    @public
    def _openapi_json(self) -> Any:
        return super()._openapi_json()


def init_app(app: Flask) -> None:
    from honestmeter.api import documented, http, routes
    from honestmeter.extensions import csrf

    for key, value in SMOREST_CONFIG.items():
        app.config.setdefault(key, value)
    api = OpenDataApi()
    api.init_app(app, spec_kwargs={"info": {"description": DESCRIPTION}})
    for name, description in TAGS:
        api.spec.tag({"name": name, "description": description})
    for blp in BLUEPRINTS(routes):
        api.register_blueprint(blp)

    # A JSON client has no form to carry a CSRF token, and filing a complaint acts for nobody signed in: the
    # per-address rate limit is this endpoint's guard. Everything else here is read-only.
    csrf.exempt(routes.file_complaint)
    documented.describe(api.spec, app)
    app.extensions["honestmeter-api"] = api
    http.init_app(app)  # after every /api/v1 route exists: it wraps them all


def BLUEPRINTS(routes: Any) -> tuple[Any, ...]:  # noqa: N802 — read as a constant
    """The smorest blueprints of the API; add a new one here."""
    return (routes.blp,)


def spec_dict() -> dict[str, Any]:
    """The OpenAPI document as served (for tests and `honestmeter openapi print`)."""
    return dict(current_app.extensions["honestmeter-api"].spec.to_dict())
