"""SQL, LIKE-wildcard and template injection probes on every search and filter field, on the backend under test
(run it with TEST_DATABASE_URL for PostgreSQL).

Three layers:
- the known search and filter fields, each with every probe: the answer is 200/400/404 (422 from the open data
  API, its documented answer to a bad argument), never 5xx; nothing is evaluated as a template; HTML is escaped;
- `%` and `_` are looked for as themselves by every free-text search (a positive control finds the real name);
- every GET route of the URL map, as a role that may use it, with every query parameter any view or the OpenAPI
  document reads set to a probe at once (and every usual redirect parameter pointing off-site): no 5xx, no
  evaluation, no unescaped echo, no redirect off the site. A new route or parameter is swept without a change here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from honestmeter.security import PUBLIC
from tests.functional.security.conftest import World, sign_in
from tests.functional.security.test_csrf import _arguments, _who
from tests.functional.security.test_redirects import REDIRECT_PARAMS, _on_site

pytestmark = pytest.mark.usefixtures("stub_pdfs", "no_read_limits")
PACKAGE = Path(__file__).resolve().parents[3] / "honestmeter"

EVALUATED = "11111103"  # 1234567 * 9: what the template probes would show if anything evaluated them
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
PROBES = [
    "' OR '1'='1' -- \" OR \"\"=\" ; DROP TABLE merchants; --",
    "' UNION SELECT password_hash, username FROM users --",
    "%_",
    "{{1234567*9}} ${1234567*9} #{1234567*9} <%= 1234567*9 %> {{config}} {{ ''.__class__ }}",
    SCRIPT + ATTRIBUTE,
    "\x00",
    "x" * 10240,
    "测试😀\u202e\u0301\ufeff\udcff",
]

# (who, path, parameter): the search and filter fields people type into or pick from. "{}" puts the probe in the
# path instead (codes and hashes that name a record).
FIELDS: list[tuple[str | None, str, str]] = [
    (None, "/", "q"),
    (None, "/", "sector"),
    (None, "/", "region"),
    (None, "/", "grade"),
    (None, "/api/v1/merchants", "q"),
    (None, "/api/v1/merchants", "sector"),
    (None, "/api/v1/merchants", "region"),
    (None, "/api/v1/results", "uscc"),
    (None, "/api/v1/lists", "kind"),
    (None, "/api/v1/ledger/proof", "leaf_hash"),
    (None, "/complaints/track", "code"),
    (None, "/complaints", "uscc"),
    (None, "/verify", "leaf"),
    (None, "/transparency", "year"),
    (None, "/merchants/{}", ""),
    (None, "/api/v1/merchants/{}", ""),
    (None, "/api/v1/complaints/{}", ""),
    (None, "/api/v1/ledger/bundle/{}", ""),
    ("admin", "/admin/merchants", "q"),
    ("admin", "/admin/tasks", "q"),
    ("admin", "/admin/lists/abnormal", "q"),
    ("admin", "/admin/penalties", "q"),
    ("admin", "/admin/complaints", "status"),
    ("admin", "/admin/repairs", "status"),
    ("merchant", "/portal/instruments", "state"),
]


@pytest.fixture
def no_read_limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The probes read far more than a visitor may per minute; the limits have their own tests."""
    for key in ("API_RATE_LIMIT", "TRACKING_RATE_LIMIT", "COMPLAINT_RATE_LIMIT"):
        monkeypatch.setitem(app.config, key, "1000000 per minute")


def _text(response: object) -> str:
    """The body as a person would read it (JSON without \\u escapes)."""
    if response.is_json:  # type: ignore[attr-defined]
        return json.dumps(response.get_json(), ensure_ascii=False)  # type: ignore[attr-defined]
    return response.get_data().decode("utf-8", "replace")  # type: ignore[attr-defined,no-any-return]


def _clients(app: Flask, world: World) -> dict[str | None, FlaskClient]:
    clients: dict[str | None, FlaskClient] = {None: app.test_client()}
    usernames = {"admin": world.admin.username, "inspector": world.ia.user.username, "merchant": world.a.user.username}
    clients.update({role: sign_in(app, name) for role, name in usernames.items()})
    return clients


def _url(path: str, param: str, value: str) -> str:
    encoded = quote(value, safe="", errors="surrogatepass")
    return path.format(encoded) if "{}" in path else f"{path}?{param}={encoded}"


def _normalized(body: str) -> str:
    """The page without its random parts (tokens, hashes), so two answers can be compared number for number."""
    return re.sub(r"[0-9A-Za-z_\-\.]{16,}", "", body)


def _problems(url: str, response: object, allowed: tuple[int, ...]) -> list[str]:
    status = response.status_code  # type: ignore[attr-defined]
    body = _text(response)
    mimetype = response.mimetype  # type: ignore[attr-defined]
    found = []
    if status not in allowed:
        found.append(f"HTTP {status}")
    if EVALUATED in body or "class 'str'" in body or "class &#39;str&#39;" in body:
        found.append("a template probe was evaluated")
    if "test-secret-key" in body or "SQLALCHEMY_DATABASE_URI" in body:
        found.append("configuration leaked")
    if mimetype == "text/html" and (SCRIPT in body or ATTRIBUTE in body):
        found.append("HTML not escaped")
    if mimetype != "text/html" and "<script" in body.lower() and mimetype not in ("application/json", "text/csv"):
        found.append(f"markup served as {mimetype}")
    location = response.headers.get("Location")  # type: ignore[attr-defined]
    if location is not None and not _on_site(location):
        found.append(f"redirects to {location}")
    return [f"{url[:120]}: {p}" for p in found]


def test_every_search_and_filter_field_resists_the_probes(app: Flask, world: World) -> None:
    world.a.markers()  # rows of every kind to search through
    clients = _clients(app, world)
    problems = []
    for who, path, param in FIELDS:
        for probe in PROBES:
            url = _url(path, param, probe)
            response = clients[who].get(url)
            problems += _problems(url, response, (200, 400, 404, 422))
        # {{7*7}} must show as typed: its page has as many 49s (and 56s) as the page for {{7*8}}.
        seven, eight = (
            _normalized(_text(clients[who].get(_url(path, param, f"{{{{7*{n}}}}}${{7*{n}}}")))) for n in (7, 8)
        )
        if (seven.count("49"), seven.count("56")) != (eight.count("49"), eight.count("56")):
            problems.append(f"{path} {param}: {{{{7*7}}}} was evaluated")
    assert problems == []


def test_no_view_renders_a_template_from_a_string() -> None:
    """Server-side template injection needs a template built from input: there is none to build."""
    offenders = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in PACKAGE.rglob("*.py")
        for name in ("render_template_string", "from_string(", "jinja2.Template(")
        if name in path.read_text()
    ]
    assert offenders == []


WILDCARD_SEARCHES = [
    ("admin", "/admin/merchants", lambda w: w.a.merchant.name),
    ("admin", "/admin/tasks", lambda w: w.a.merchant.name),
    ("admin", "/admin/penalties", lambda w: w.a.repairable.decision_no),
    ("admin", "/admin/lists/model_unit", lambda w: w.a.merchant.name),
    (None, "/", lambda w: w.a.merchant.name),
    (None, "/api/v1/merchants", lambda w: w.a.merchant.name),
]


@pytest.mark.parametrize("wildcard", ["%", "_", "%%", "_%_"])
def test_like_wildcards_match_only_themselves(app: Flask, world: World, wildcard: str) -> None:
    world.a.markers()
    clients = _clients(app, world)
    wrong = []
    for who, path, shown in WILDCARD_SEARCHES:
        name = shown(world)
        fragment = name[2:6]
        found = _text(clients[who].get(f"{path}?q={quote(fragment)}"))
        assert name in found, f"{path}: the search does not find {name!r} by {fragment!r}: the check proves nothing"
        probed = _text(clients[who].get(f"{path}?q={quote(wildcard)}"))
        if name in probed:
            wrong.append(f"{path}?q={wildcard} lists {name}")
    assert wrong == []


def _query_names(app: Flask) -> list[str]:
    """Every query parameter a view reads (from the source) or the OpenAPI document declares."""
    pattern = re.compile(r"""request\.args\.(?:get|getlist)\(\s*["'](\w+)["']|request\.args\[\s*["'](\w+)["']\]""")
    names = {a or b for path in PACKAGE.rglob("*.py") for a, b in pattern.findall(path.read_text())}
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for operations in spec["paths"].values():
        for operation in operations.values():
            if isinstance(operation, dict):
                names |= {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    return sorted(names - set(REDIRECT_PARAMS))


def _sweep(
    app: Flask, world: World, query: str, check: Callable[[str, object], list[str]] | None = None
) -> list[str]:
    """GET every route of the URL map with `query`, as a role that may use it: the problems found (no 5xx, nothing
    evaluated, nothing unescaped, plus what `check` says of each answer)."""
    args = _arguments(world)
    clients = _clients(app, world)
    problems, swept = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: args[k] for k in rule.arguments})
        who = _who(getattr(app.view_functions[rule.endpoint], "access", PUBLIC))
        response = clients[who].get(f"{url}?{query}")
        problems += _problems(url, response, (200, 302, 304, 400, 404, 422, 429))
        if check is not None:
            problems += check(url, response)
        response.close()
        swept += 1
    assert swept >= 100
    return problems


COMBINED = "' OR 1=1 -- %_" + ATTRIBUTE + SCRIPT + "{{1234567*9}}${1234567*9}测试😀"


@pytest.mark.parametrize("probe", [COMBINED, "\x00"], ids=["combined", "nul"])
def test_every_get_route_survives_probes_in_every_parameter(app: Flask, world: World, probe: str) -> None:
    names = _query_names(app)
    assert {"q", "code", "status", "leaf_hash", "page", "year"} <= set(names), names
    query = "&".join(
        [f"{n}={quote(probe, safe='')}" for n in names] + [f"{n}=%2F%2Fevil.example%2F" for n in REDIRECT_PARAMS]
    )
    assert _sweep(app, world, query) == []


# url_for's own options and numbers past every backend's integer range, which views once passed on: a 500 from
# OFFSET overflow on ten staff lists, and from url_for (or a Link header pointing elsewhere) on the API lists.
PAGING_PROBES = (
    "page=100000000000000000000&per_page=100000000000000000000&endpoint=x&_method=POST&_external=1&_anchor=x"
)


def test_every_get_route_survives_huge_pages_and_url_for_options(app: Flask, world: World) -> None:
    def link_leaks(url: str, response: object) -> list[str]:
        link = response.headers.get("Link", "")  # type: ignore[attr-defined]
        leaked = any(leak in link for leak in ("endpoint=", "_method", "_external", "_anchor", "#"))
        return [f"{url}: url_for options leaked into the Link header: {link}"] if leaked else []

    assert _sweep(app, world, PAGING_PROBES, link_leaks) == []
