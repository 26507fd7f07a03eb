"""The PDF rendering port (DESIGN §7): Jinja HTML templates → PDF bytes, offline, with embedded CJK fonts.

`PdfRenderer` is the port services depend on; `WeasyPrintRenderer` is the real implementation. It needs no Flask app
or request (jobs and the CLI render too), keeps its own Jinja environment over `honestmeter/templates/notices/pdf/`
(shipped in the wheel), and never reaches the network: its URL fetcher serves `data:` URIs and files inside the
template directory (and the font cache) only, and stops the render with `ExternalResourceRefused` for anything else.
An isolated government network has no outside, and a PDF that depends on one is not reproducible.

Fonts come from fontconfig (Debian `fonts-noto-cjk`); see `fonts.py` for the working-set subsets that keep a
render fast. The renderer refuses to start when a CJK face the stylesheet names is missing, because the
alternative is a notice full of blank boxes.

Same template and context → same bytes, for given WeasyPrint, HarfBuzz and font-file versions: the PDF carries no
render time (its /CreationDate comes from the template's `dcterms.created` meta, i.e. from the context) and no
random identifier. The "notice issued" ledger record hashes these exact bytes (DESIGN §4.1).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from honestmeter.labels import msgid
from honestmeter.notices import fonts
from honestmeter.notices.errors import (
    CJKFontMissing,
    ExternalResourceRefused,
    FontSetupError,
    NoticeRenderingError,
)
from honestmeter.notices.qr import qr_data_uri
from honestmeter.scoring import BEST_GRADE

__all__ = [
    "TEMPLATE_DIR",
    "CJKFontMissing",
    "ExternalResourceRefused",
    "FontSetupError",
    "NoticeRenderingError",
    "PdfRenderer",
    "WeasyPrintRenderer",
    "default_renderer",
]

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "notices" / "pdf"
STYLESHEETS: tuple[str, ...] = ("notices.css",)


@runtime_checkable
class PdfRenderer(Protocol):
    """Renders the notice template `template` (a name under templates/notices/pdf/) with `context` to PDF bytes."""

    def render(self, template: str, context: Mapping[str, Any]) -> bytes: ...


class WeasyPrintRenderer:
    """`PdfRenderer` with WeasyPrint.

    Create one per process and reuse it: creating it checks the fonts, prepares (or loads from the cache) the
    working-set fonts, parses the stylesheet and holds one FontConfiguration, all of which every render reuses.
    Renders are serialised by a lock, so one instance may be shared by threads; for throughput use processes.

    A `gettext` callable in the context translates strings the templates mark with `_()`/`gettext()`; without
    one they are used as written (the msgids are Chinese, the language of the documents).

    `working_set_fonts=False` skips the per-machine font subsets (every PDF then embeds subsets of the full system
    faces: same look, about four times slower).
    """

    def __init__(
        self,
        template_dir: Path | str = TEMPLATE_DIR,
        *,
        stylesheets: Sequence[str] = STYLESHEETS,
        faces: Sequence[fonts.Face] = fonts.NOTICE_FACES,
        working_set_fonts: bool = True,
        font_cache_dir: Path | str | None = None,
        filters: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.template_dir = Path(template_dir).resolve()
        if not self.template_dir.is_dir():
            raise NoticeRenderingError(f"notice template directory not found: {self.template_dir}")
        self._base_url = self.template_dir.as_uri() + "/"
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.template_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.globals.update(_=_identity, gettext=_identity, ngettext=_ngettext_identity, best_grade=BEST_GRADE)
        self._env.filters["qr_data_uri"] = qr_data_uri
        self._env.filters["label"] = msgid  # notices are Chinese: the msgid is the printed word
        self._env.filters.update(filters or {})

        font_css: str | None = None
        self._roots: tuple[Path, ...] = (self.template_dir,)
        if working_set_fonts:
            cache_dir = Path(font_cache_dir) if font_cache_dir is not None else None
            subsets = fonts.working_set_fonts(faces, self._template_texts(), cache_dir)
            self._roots += tuple({path.parent.resolve() for path in subsets.values()})
            font_css = fonts.font_face_css(subsets)
        else:
            for face in faces:  # fail now, not with blank boxes later
                fonts.find_face(face)

        self._font_config = FontConfiguration()
        self._lock = threading.Lock()
        sources = [{"string": font_css}] if font_css is not None else []
        sources += [{"filename": str(self.template_dir / name)} for name in stylesheets]
        self._stylesheets: list[Any] = [self._guard(self._css, **source) for source in sources]

    def render_html(self, template: str, context: Mapping[str, Any]) -> str:
        """The HTML `render` lays out (to debug templates, and the benchmark's baseline)."""
        values = dict(context)
        if "gettext" in values:  # one translation function behind every spelling the templates may use
            values.setdefault("_", values["gettext"])
        return self._env.get_template(template).render(values)

    def render(self, template: str, context: Mapping[str, Any]) -> bytes:
        html = self.render_html(template, context)
        with self._lock:
            document = HTML(string=html, base_url=self._base_url, url_fetcher=self._fetcher())
            pdf: bytes = self._guard(document.write_pdf, stylesheets=self._stylesheets, font_config=self._font_config)
        return pdf

    def _css(self, **source: str) -> Any:
        return CSS(**source, base_url=self._base_url, url_fetcher=self._fetcher(), font_config=self._font_config)

    def _fetcher(self) -> _LocalOnlyFetcher:
        # One per document: WeasyPrint's fetcher keeps per-request state.
        return _LocalOnlyFetcher(self._roots)

    def _template_texts(self) -> list[str]:
        """The text of the templates and stylesheets, whose characters the working-set fonts keep."""
        return [
            path.read_text("utf-8")
            for path in sorted(self.template_dir.rglob("*"))
            if path.is_file() and path.suffix in {".html", ".css", ".txt", ".svg"}
        ]

    @staticmethod
    def _guard(work: Callable[..., Any], **arguments: Any) -> Any:
        try:
            return work(**arguments)
        except _Refused as refused:
            raise ExternalResourceRefused(refused.url) from None
        except FatalURLFetchingError as failed:
            raise NoticeRenderingError(f"a notice resource could not be loaded: {failed}") from failed.__cause__


_default: tuple[int, WeasyPrintRenderer] | None = None
_default_lock = threading.Lock()


def default_renderer() -> WeasyPrintRenderer:
    """This process's `WeasyPrintRenderer` with the default templates and fonts, created on first use.

    A forked child (a pool worker, a pre-forking server) gets its own on first use rather than sharing the parent's
    fontconfig and Pango state.
    """
    global _default  # noqa: PLW0603 — one renderer per process is the point
    with _default_lock:
        if _default is None or _default[0] != os.getpid():
            _default = (os.getpid(), WeasyPrintRenderer())
        return _default[1]


class _LocalOnlyFetcher(URLFetcher):
    """Serves `data:` URIs and `file:` URLs inside `roots`; anything else stops the render."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, fail_on_errors=True)
        self._roots = tuple(roots)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        allowed = scheme == "data" or (
            scheme == "file"
            # urllib turns file://other-host/... into FTP: only local paths are files
            and parts.netloc in {"", "localhost"}
            and any(Path(url2pathname(parts.path)).resolve().is_relative_to(root) for root in self._roots)
        )
        if not allowed:
            raise _Refused(url)
        return super().fetch(url, headers)


class _Refused(FatalURLFetchingError):
    # A BaseException inside WeasyPrint, so nothing there catches it and renders on without the resource;
    # `WeasyPrintRenderer._guard` turns it into `ExternalResourceRefused`.
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def _identity(message: str, **variables: Any) -> str:
    return message % variables if variables else message


def _ngettext_identity(singular: str, plural: str, n: int, **variables: Any) -> str:
    return _identity(singular if n == 1 else plural, num=n, **variables)
