"""QR codes for notices: segno encodes the URL (level M, quiet zone 2) and the SVG data URI draws that matrix."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pytest

from honestmeter.notices.qr import DATA_URI_PREFIX, QUIET_ZONE, make_qr, qr_data_uri, qr_svg

LEAF = "9f91161f43433e49a6de6db680d79f60159f2e4ac9172621a12846428158440b"
VERIFY_URL = f"https://jg.hangzhou.gov.cn/verify?leaf={LEAF}"
MERCHANT_URL = "https://jg.hangzhou.gov.cn/merchants/91330106MA2H4XQ21K"


def dark_modules_of_svg(svg: str) -> tuple[int, set[tuple[int, int]]]:
    """(side, dark cells) drawn by segno's SVG: one stroked path of horizontal runs, 1 unit high, centred on y+0.5."""
    root = ET.fromstring(svg)  # noqa: S314 — segno's output, made in this test
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert width == height
    (path,) = (el for el in root.iter() if el.tag.endswith("path"))
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, args in re.findall(r"([MmHhVv])([^MmHhVv]*)", path.attrib["d"]):
        numbers = [float(n) for n in args.replace(",", " ").split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            run = numbers[0]
            dark.update((int(x + i), int(y)) for i in range(int(run)))
            x += run
        else:
            raise AssertionError(f"unexpected path command {command}")
    return int(width), dark


@pytest.mark.parametrize("url", [VERIFY_URL, MERCHANT_URL])
def test_segno_encodes_the_url_at_level_m(url: str) -> None:
    qr = make_qr(url)
    assert qr.error == "M"
    assert not qr.is_micro
    assert qr.mode == "byte"
    assert isinstance(qr.version, int)
    assert 3 <= qr.version <= 8  # a ~100-character URL; a jump would mean the content or the level changed
    assert qr.designator == f"{qr.version}-M"


def test_data_uri_is_base64_svg() -> None:
    uri = qr_data_uri(VERIFY_URL)
    assert uri.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(uri.removeprefix(DATA_URI_PREFIX), validate=True).decode("utf-8")
    assert svg == qr_svg(VERIFY_URL)
    root = ET.fromstring(svg)  # noqa: S314 — segno's output, made in this test
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "width" not in root.attrib  # sized by CSS through the viewBox
    assert not svg.startswith("<?xml")


@pytest.mark.parametrize("url", [VERIFY_URL, MERCHANT_URL])
def test_svg_draws_exactly_the_qr_matrix_with_a_quiet_zone_of_two(url: str) -> None:
    qr = make_qr(url)
    side, dark = dark_modules_of_svg(qr_svg(url))
    assert side == qr.symbol_size(border=QUIET_ZONE)[0] == 17 + 4 * qr.version + 2 * QUIET_ZONE
    expected = {(x, y) for y, row in enumerate(qr.matrix_iter(border=QUIET_ZONE)) for x, bit in enumerate(row) if bit}
    assert dark == expected
    assert all(QUIET_ZONE <= x < side - QUIET_ZONE and QUIET_ZONE <= y < side - QUIET_ZONE for x, y in dark)


def test_same_url_same_uri_and_different_urls_differ() -> None:
    assert qr_data_uri(VERIFY_URL) == qr_data_uri(VERIFY_URL)
    assert qr_data_uri(VERIFY_URL) != qr_data_uri(VERIFY_URL.replace("9f", "8f", 1))


def test_empty_data_is_refused() -> None:
    with pytest.raises(ValueError, match="needs data"):
        qr_data_uri("")
