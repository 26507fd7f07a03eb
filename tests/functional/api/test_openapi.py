"""The OpenAPI document at /api/v1/openapi.json: valid OpenAPI 3.1, bilingual, covering every /api/v1 route, and
nothing else exposed (no documentation UI, no error handler taking over the HTML site)."""

from __future__ import annotations

import re

import schemathesis
from flask import Flask
from flask.testing import FlaskClient

from honestmeter.security import PUBLIC


def document(client: FlaskClient) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_document_is_valid_openapi(client: FlaskClient) -> None:
    spec = document(client)
    assert spec["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(spec).validate()  # against the OpenAPI 3.1 meta-schema
    assert spec["info"]["title"] == "诚信计量公开数据接口"
    description = spec["info"]["description"]
    assert "公开数据接口" in description and "open data API" in description
    assert {t["name"] for t in spec["tags"]} >= {"merchants", "results", "lists", "draws", "ledger"}


def test_every_api_route_is_documented_and_public(app: Flask, client: FlaskClient) -> None:
    documented = set(document(client)["paths"])
    routes = {
        re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
    }
    assert routes - documented == {"/api/v1/openapi.json"}
    assert documented <= routes
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            assert app.view_functions[rule.endpoint].access == PUBLIC, rule.rule


def test_operations_have_bilingual_summaries_and_csv_where_promised(client: FlaskClient) -> None:
    paths = document(client)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method == "parameters":  # path-level parameters, not an operation
                continue
            assert " / " in operation["summary"], (method, path)
    for path in ("/api/v1/merchants", "/api/v1/results", "/api/v1/lists"):
        content = paths[path]["get"]["responses"]["200"]["content"]
        assert set(content) == {"application/json", "text/csv"}, path


def test_no_documentation_ui_or_other_smorest_pages(client: FlaskClient) -> None:
    for url in ("/api/v1/redoc", "/api/v1/swagger-ui", "/api/v1/rapidoc", "/api/v1/docs", "/openapi.json"):
        assert client.get(url).status_code == 404, url
