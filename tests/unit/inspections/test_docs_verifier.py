"""The verifier in docs/verifiable-draw.md re-runs the golden bundle and rejects tampered ones."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "verifiable-draw.md"
GOLDEN = Path(__file__).with_name("golden_draw_bundle.json")


def snippet() -> str:
    return re.search(r"```python verify-draw\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)  # type: ignore[union-attr]


def snippet_verify() -> Callable[[dict[str, Any]], dict[str, Any]]:
    namespace: dict[str, Any] = {}
    exec(compile(snippet(), str(DOC), "exec"), namespace)  # noqa: S102 — our own documentation
    return namespace["verify"]  # type: ignore[no-any-return]


def golden() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return bundle


def test_docs_verifier_reruns_the_golden_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    bundle = golden()
    assert snippet_verify()(bundle) == bundle["result"]
    assert "valid: 13 selected, 5 unassigned" in capsys.readouterr().out


def test_docs_verifier_imports_only_the_standard_library_and_rfc8785() -> None:
    code = snippet()
    imported = {name.strip() for line in re.findall(r"^import (.+)$", code, re.M) for name in line.split(",")}
    assert imported == {"hashlib", "hmac", "rfc8785"}
    assert "from " not in code and "honestmeter" not in code
    assert len(code.splitlines()) <= 45


@pytest.mark.parametrize(
    ("part", "tamper"),
    [
        ("secret", lambda b: b["reveal"].update(secret="00" * 32)),
        ("beacon", lambda b: b["reveal"].update(beacon="00" * 32)),
        ("member", lambda b: b["announcement"]["strata"][2]["members"].pop()),
        ("result", lambda b: b["result"]["selected"][0]["inspectors"].reverse()),
    ],
)
def test_docs_verifier_rejects_tampering(part: str, tamper: Callable[[dict[str, Any]], object]) -> None:
    bundle = golden()
    tamper(bundle)
    with pytest.raises(AssertionError):
        snippet_verify()(bundle)
