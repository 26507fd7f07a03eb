"""An id in a URL beyond its column's range is a 404 on every page, never a database error (PostgreSQL rejects
an INTEGER parameter above 2³¹−1 outright)."""

from __future__ import annotations

from flask import Flask

from tests.factories import PASSWORD, UserFactory


def test_ids_beyond_the_column_range_are_not_found(app: Flask) -> None:
    UserFactory(username="huge_admin")
    admin = app.test_client()
    assert admin.post("/login", data={"username": "huge_admin", "password": PASSWORD}).status_code == 302
    for url in ("/admin/tasks/3000000000", "/admin/complaints/3000000000", "/draws/99999999999999999999"):
        assert admin.get(url).status_code == 404, url
    assert app.test_client().get("/api/v1/draws/3000000000").status_code == 404
    assert app.test_client().get("/api/v1/ledger/entries/3000000000").status_code == 404  # BIGINT: in range, absent
