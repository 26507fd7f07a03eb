"""Property-based test of the whole /api/v1 document (schemathesis, through the WSGI app, no server): no answer is
a 5xx, and every answer has a documented status, content type and body shape.

Each operation gets a few schema-conforming (positive) and a few schema-violating (negative) requests. The
operations are walked in one test, inside the test's rolled-back transaction, rather than through
`schemathesis.pytest.from_fixture` (whose lazy subtests do not run under pytest 9).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.functional.api.conftest import Rich

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}


def _run(operation: Any, mode: GenerationMode) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        # An operation with nothing to get wrong (no parameters) has no negative cases.
        assert mode is GenerationMode.NEGATIVE, operation.label


def test_no_server_errors_and_answers_match_the_document(
    app: Flask, rich: Rich, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "1000000 per minute")  # the limits have their own tests
    monkeypatch.setitem(app.config, "COMPLAINT_RATE_LIMIT", "1000000 per minute")
    monkeypatch.setitem(app.config, "TRACKING_RATE_LIMIT", "1000000 per minute")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.validate()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode in EXAMPLES:
            _run(operation, mode)
