"""QR codes for notices as inline SVG data URIs (segno), so WeasyPrint draws them with no file or network access.

Every QR is a model-2 QR code with error-correction level M exactly (segno's "boost" to a higher level is
turned off so the level is a stable property of the documents) and a quiet zone of 2 modules.
"""

from __future__ import annotations

import base64
import io

import segno

ERROR_LEVEL = "M"
QUIET_ZONE = 2
DATA_URI_PREFIX = "data:image/svg+xml;base64,"


def make_qr(data: str) -> segno.QRCode:
    """The QR code encoding `data` (level M, the smallest version that holds it)."""
    if not data:
        raise ValueError("a QR code needs data to encode")
    return segno.make_qr(data, error=ERROR_LEVEL, boost_error=False)


def qr_svg(data: str) -> str:
    """Standalone SVG (no XML declaration, no fixed size: a viewBox only, so CSS sizes it) of `data`'s QR code."""
    buffer = io.BytesIO()
    make_qr(data).save(
        buffer,
        kind="svg",
        border=QUIET_ZONE,
        xmldecl=False,
        omitsize=True,
        svgclass=None,
        lineclass=None,
        nl=False,
        dark="#000",
    )
    return buffer.getvalue().decode("utf-8")


def qr_data_uri(data: str) -> str:
    """`data:image/svg+xml;base64,...` URI of `data`'s QR code, for an `<img src>` in a notice template."""
    return DATA_URI_PREFIX + base64.b64encode(qr_svg(data).encode("utf-8")).decode("ascii")
