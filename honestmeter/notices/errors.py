"""Errors of the notices package."""

from __future__ import annotations


class NoticeRenderingError(RuntimeError):
    """A notice could not be rendered faithfully (missing font, missing asset, refused URL)."""


class CJKFontMissing(NoticeRenderingError):
    """Fontconfig lacks a CJK face the notices use: rendering would print blank boxes instead of Chinese."""


class FontSetupError(NoticeRenderingError):
    """The font libraries or files could not be loaded or prepared."""


class ExternalResourceRefused(NoticeRenderingError):
    """A template or context asked for a resource outside the allowed local directories (http, https, ftp, …)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"notices render offline; refused to fetch {url!r}")
        self.url = url
