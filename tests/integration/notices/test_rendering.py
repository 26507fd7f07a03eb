"""PDF notices rendered for real (WeasyPrint, fontconfig, Noto CJK) and read back with pypdf."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from honestmeter.notices import documents, fonts, rendering
from honestmeter.notices.fonts import Face
from honestmeter.notices.rendering import (
    CJKFontMissing,
    ExternalResourceRefused,
    NoticeRenderingError,
    PdfRenderer,
    WeasyPrintRenderer,
    default_renderer,
)

REPO = Path(__file__).resolve().parents[3]
LEAF = "9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b"
BASE_URL = "https://jg.hangzhou.gov.cn"
MM = 72 / 25.4
MERCHANT = {
    "name": "杭州市西湖区西湖眼镜店",
    "uscc": "91330106MA2H4XQ21K",
    "address": "浙江省杭州市西湖区文三路259号昌地火炬大厦1楼102室",
    "sector": "眼镜制配",
}
POINTS = [
    "自觉遵守《中华人民共和国计量法》等计量法律法规，主动接受市场监督管理部门和消费者的监督。",
    "以商品量作为结算依据的，配备与经营项目相适应的合格计量器具，满足交易需要，商品量的短缺量符合"
    "《零售商品称重计量监督管理办法》的规定。",
    "使用的计量器具按规定经法定计量检定机构检定合格并在有效期内，不使用未经检定、超过检定周期或者检定不合格的"
    "计量器具，不破坏计量器具的准确度。",
    "现场交易时明示计量单位、计量过程和计量器具显示的量值；杜绝短斤少两，一经确认，赔偿消费者损失。",
    "销售的定量包装商品符合《定量包装商品计量监督管理办法》的规定，不销售净含量不合格的商品。",
    "设置公平秤，建立计量器具台账和周期检定制度，规范操作，准确计量，诚信经营。",
]
COMMITMENT = {
    "number": "HM-CMT-2026-000123",
    "points": POINTS,
    "signer_name": "王丽华",
    "signer_title": "法定代表人",
    "signed_at": datetime(2026, 3, 1, 2, 30, tzinfo=UTC),
    "valid_from": date(2026, 3, 1),
    "valid_until": date(2027, 2, 28),
    "template_version": "CMT-2026.1",
    "text_sha256": hashlib.sha256("\n".join(POINTS).encode()).hexdigest(),
}


@pytest.fixture(scope="module")
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notice-fonts")


@pytest.fixture(scope="module")
def renderer(font_cache: Path) -> WeasyPrintRenderer:
    return WeasyPrintRenderer(font_cache_dir=font_cache)


@pytest.fixture
def weasyprint_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """WeasyPrint logs (never raises) unsupported CSS, missing images and failed fonts: none is expected."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        yield caplog
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def commitment(renderer: PdfRenderer, **changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "merchant": MERCHANT,
        "commitment": COMMITMENT,
        "leaf_hash": LEAF,
        "verify_base_url": BASE_URL,
    }
    arguments.update(changes)
    return documents.commitment_pdf(renderer, **arguments)


def sticker(renderer: PdfRenderer, **changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "merchant": MERCHANT,
        "grade": "A",
        "commitment_status": "valid",
        "leaf_hash": LEAF,
        "public_base_url": BASE_URL,
        "verify_base_url": BASE_URL,
        "issued_at": datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
    }
    arguments.update(changes)
    return documents.sticker_pdf(renderer, **arguments)


def text_of(reader: PdfReader) -> str:
    """All text, whitespace removed (letter-spaced titles come out with spaces, the sticker's hash on two lines)."""
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def embedded_fonts(reader: PdfReader) -> dict[str, list[str]]:
    """FontName of every embedded font → the /FontFile* keys of its descriptor."""
    found: dict[str, list[str]] = {}
    for page in reader.pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            found[str(descriptor["/FontName"])] = [key for key in descriptor if key.startswith("/FontFile")]
    return found


def test_commitment_pdf(renderer: WeasyPrintRenderer, weasyprint_log: pytest.LogCaptureFixture) -> None:
    pdf = commitment(renderer)
    reader = PdfReader(BytesIO(pdf))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (210, 297)  # A4

    fonts = embedded_fonts(reader)
    assert fonts, "no font embedded"
    assert all(files for files in fonts.values()), fonts  # every font carries its program: nothing left to the reader
    assert any("CJK" in name for name in fonts), fonts

    text = text_of(reader)
    for expected in (
        "诚信计量承诺书",
        "西湖眼镜店",
        MERCHANT["name"],
        MERCHANT["uscc"],
        "眼镜制配",
        "自觉遵守《中华人民共和国计量法》",
        "王丽华（法定代表人）",
        "2026年3月1日至2027年2月28日",
        "CMT-2026.1",
        COMMITMENT["text_sha256"],
        "扫码验证",
        f"{BASE_URL}/verify",
        LEAF,
        "第1页/共1页",
    ):
        assert expected in text, expected

    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == "诚信计量承诺书"
    assert metadata.creator == "honestmeter"
    assert metadata.creation_date == datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    assert LEAF in (metadata.subject or "")


def test_sticker_pdf(renderer: WeasyPrintRenderer, weasyprint_log: pytest.LogCaptureFixture) -> None:
    reader = PdfReader(BytesIO(sticker(renderer)))

    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) / MM == pytest.approx(105, abs=0.5)  # A6
    assert float(box.height) / MM == pytest.approx(148, abs=0.5)
    assert any("CJK" in name for name in embedded_fonts(reader))

    text = text_of(reader)
    for expected in ("诚信计量", MERCHANT["name"], "A计量信用等级", "有效", "扫码验证", LEAF, "发放日期：2026年3月2日"):
        assert expected in text, expected
    assert reader.metadata is not None
    assert reader.metadata.title == "诚信计量公示"


@pytest.mark.parametrize(
    ("grade", "status", "printed"),
    [
        (None, "unsigned", ("未评级", "未签署")),
        ("D", "expired", ("D计量信用等级", "已过期")),
        ("B", "已撤销", ("B计量信用等级", "已撤销")),
    ],
)
def test_sticker_grades_and_statuses(
    renderer: WeasyPrintRenderer, grade: str | None, status: str, printed: tuple[str, str]
) -> None:
    text = text_of(PdfReader(BytesIO(sticker(renderer, grade=grade, commitment_status=status))))
    assert all(word in text for word in printed)


def test_long_merchant_name_keeps_the_sticker_on_one_page(renderer: WeasyPrintRenderer) -> None:
    name = "中国石油化工股份有限公司浙江杭州石油分公司西湖区文三路加油站（第二十三号站）"
    reader = PdfReader(BytesIO(sticker(renderer, merchant={**MERCHANT, "name": name})))
    assert len(reader.pages) == 1
    assert name in text_of(reader)


def test_every_font_is_a_working_set_for_common_text(renderer: WeasyPrintRenderer) -> None:
    """The speed of a render rests on this: a face missing from the working sets would embed a full system face."""
    for pdf in (commitment(renderer), sticker(renderer), sticker(renderer, grade=None, commitment_status="unsigned")):
        names = embedded_fonts(PdfReader(BytesIO(pdf)))
        assert all(name.split("+", 1)[1].startswith("HM-Noto-") for name in names), names


def test_bold_text_is_drawn_with_the_bold_face(renderer: WeasyPrintRenderer) -> None:
    """Each embedded program is the face its PDF name says: "-Bold" fonts weigh 700, the others 400.

    fontconfig ranks language coverage above weight: a bold working set covering fewer characters than a regular
    one of the same family would lose to it, and the title would come out regular under a "Bold" name.
    """
    for pdf in (commitment(renderer), sticker(renderer)):
        reader = PdfReader(BytesIO(pdf))
        for reference in reader.pages[0]["/Resources"]["/Font"].values():
            font = reference.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = TTFont(BytesIO(descriptor["/FontFile3"].get_object().get_data()))
            weight = program["OS/2"].usWeightClass
            assert (weight >= 600) == str(descriptor["/FontName"]).endswith("-Bold"), (descriptor["/FontName"], weight)


def test_rare_character_falls_back_to_the_system_face(renderer: WeasyPrintRenderer) -> None:
    # 堃 and 喆 are outside GB 2312, hence outside the working-set fonts: never a blank box.
    name = "杭州市西湖区堃喆眼镜店"
    reader = PdfReader(BytesIO(commitment(renderer, merchant={**MERCHANT, "name": name})))
    assert name in text_of(reader)
    names = embedded_fonts(reader)
    assert any(not name.split("+", 1)[1].startswith("HM-") and "CJK" in name for name in names), names


def test_context_values_are_escaped_not_fetched(renderer: WeasyPrintRenderer) -> None:
    name = '西湖眼镜店<img src="https://example.com/x.png">'
    text = text_of(PdfReader(BytesIO(commitment(renderer, merchant={**MERCHANT, "name": name}))))
    assert "".join(name.split()) in text


def test_same_input_gives_the_same_bytes(renderer: WeasyPrintRenderer, tmp_path: Path) -> None:
    first = commitment(renderer)
    assert commitment(renderer) == first
    assert sticker(renderer) == sticker(renderer)
    # a fresh renderer building its working-set fonts from scratch
    assert commitment(WeasyPrintRenderer(font_cache_dir=tmp_path)) == first
    # another process, another hash seed
    script = (
        "import sys, hashlib\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from tests.integration.notices.test_rendering import commitment\n"
        "from honestmeter.notices.rendering import WeasyPrintRenderer\n"
        "print(hashlib.sha256(commitment(WeasyPrintRenderer(font_cache_dir=sys.argv[2]))).hexdigest())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(REPO), str(tmp_path / "other")],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert result.stdout.strip() == documents.pdf_sha256(first)
    # and the inputs matter: another leaf, other bytes
    assert commitment(renderer, leaf_hash="0" * 64) != first


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a notice render tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def probe(tmp_path: Path, font_cache: Path) -> WeasyPrintRenderer:
    """A renderer over a scratch template directory: one template that puts the context's HTML in a page."""
    (tmp_path / "probe.html").write_text("<html><body><p>诚信计量</p>{{ markup | safe }}</body></html>", "utf-8")
    (tmp_path / "local.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>', "utf-8")
    return WeasyPrintRenderer(tmp_path, stylesheets=(), font_cache_dir=font_cache)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize(
    "markup",
    [
        '<img src="https://example.com/x.png">',
        '<img src="http://example.com/x.png">',
        '<link rel="stylesheet" href="https://example.com/x.css">',
        "<style>@import url(https://example.com/x.css);</style>",
        '<div style="background: url(https://example.com/x.png)">背景</div>',
        "<style>@font-face { font-family: X; src: url(https://example.com/x.woff2); } p { font-family: X; }</style>",
        '<img src="ftp://example.com/x.png">',
        '<img src="file://example.com/x.png">',
        '<img src="file:///etc/passwd">',
        '<img src="../../etc/passwd">',
    ],
)
def test_render_refuses_resources_outside_the_template_directory(probe: WeasyPrintRenderer, markup: str) -> None:
    with pytest.raises(ExternalResourceRefused):
        probe.render("probe.html", {"markup": markup})


@pytest.mark.usefixtures("no_network")
def test_render_serves_local_files_and_data_uris(probe: WeasyPrintRenderer) -> None:
    svg = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCAxIDEiLz4="
    pdf = probe.render("probe.html", {"markup": f'<img src="local.svg"><img src="{svg}">'})
    assert pdf.startswith(b"%PDF-")


def test_missing_local_asset_fails_the_render(probe: WeasyPrintRenderer) -> None:
    with pytest.raises(NoticeRenderingError, match="could not be loaded") as failure:
        probe.render("probe.html", {"markup": '<img src="missing.png">'})
    assert not isinstance(failure.value, ExternalResourceRefused)


def test_gettext_from_the_context(tmp_path: Path, font_cache: Path) -> None:
    (tmp_path / "t.html").write_text("{{ _('扫码验证') }}|{{ gettext('有效') }}", "utf-8")
    plain = WeasyPrintRenderer(tmp_path, stylesheets=(), font_cache_dir=font_cache)
    assert plain.render_html("t.html", {}) == "扫码验证|有效"
    english = {"扫码验证": "Scan to verify", "有效": "valid"}
    assert plain.render_html("t.html", {"gettext": english.__getitem__}) == "Scan to verify|valid"


def test_missing_cjk_font_fails_at_creation() -> None:
    with pytest.raises(CJKFontMissing, match="fonts-noto-cjk"):
        WeasyPrintRenderer(faces=(Face("Noto Serif CJK SC"), Face("No Such Font CJK SC")))
    with pytest.raises(CJKFontMissing):
        WeasyPrintRenderer(faces=(Face("No Such Font CJK SC"),), working_set_fonts=False)


def test_without_working_sets_the_system_faces_are_embedded(font_cache: Path) -> None:
    renderer = WeasyPrintRenderer(working_set_fonts=False)
    reader = PdfReader(BytesIO(commitment(renderer)))
    assert len(reader.pages) == 1
    assert "诚信计量承诺书" in text_of(reader)
    names = embedded_fonts(reader)
    assert names and all(name.split("+", 1)[1].startswith("Noto-") for name in names), names


def test_default_renderer_is_one_per_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # its working-set fonts go to the default cache directory
    monkeypatch.setattr(rendering, "_default", None)
    first = default_renderer()
    assert isinstance(first, PdfRenderer)
    assert default_renderer() is first
    assert list((tmp_path / "honestmeter" / "notice-fonts").glob("*.otf"))


def test_font_cache_keeps_its_files_and_prunes_old_ones(tmp_path: Path) -> None:
    old = tmp_path / "NotoSerifCJKSC-400-000000000000000000000000.otf"
    recent = tmp_path / "NotoSerifCJKSC-400-111111111111111111111111.otf"
    for stale in (old, recent):
        stale.write_bytes(b"stale")
    os.utime(old, (0, 0))
    faces = (Face("Noto Serif CJK SC"),)
    built = fonts.working_set_fonts(faces, ["诚信计量"], tmp_path)
    assert not old.exists()
    assert recent.exists()  # younger than a week: perhaps another checkout's templates
    path = built[faces[0]]
    assert path.parent == tmp_path
    assert path.read_bytes()[:4] == b"OTTO"  # CFF-flavoured OpenType, as the Noto CJK source
    modified = path.stat().st_mtime_ns
    assert fonts.working_set_fonts(faces, ["诚信计量"], tmp_path) == built  # cached: not rebuilt
    assert path.stat().st_mtime_ns == modified
    assert fonts.working_set_fonts(faces, ["诚信计量", "堃"], tmp_path) != built  # other templates, other set
