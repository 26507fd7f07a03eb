"""CJK fonts for PDF notices: find them through fontconfig, and cut them down once so every render is fast.

A Noto CJK face is a 20–27 MB collection member with 65,535 glyphs. WeasyPrint subsets every font it embeds,
document by document, from the whole face: about 75 ms per face per PDF here, i.e. three PDFs a second for a notice
with four faces, a third of the DESIGN §9 bar. So, once per machine, each face the notices use is subset with
HarfBuzz to a "working set", declared in an `@font-face` as a family of its own ("HM <family>" for the regular
face, "HM <family> 700" for the bold one), and WeasyPrint subsets that instead:
- faces that set variable text (names, addresses, commitment points) keep GB 2312 (6,763 hanzi and its symbols),
  ASCII, Latin-1, the punctuation and full-width blocks and every character of the notice templates: about 8,000
  glyphs, 2–3 MB, 6–8 ms per PDF;
- faces that set only the templates' own words, codes and hashes (bold titles, small print) keep the templates'
  characters and the non-hanzi blocks: a few hundred glyphs, about 1 ms per PDF.

Nothing is lost: notices.css lists the system family after the working-set family, so a character outside the
working set (a rare character in a name or address) is drawn from the full system face, which WeasyPrint then
embeds as well. The working sets are cached under ~/.cache/honestmeter/notice-fonts (or $XDG_CACHE_HOME), keyed
by the source font file, the HarfBuzz version and the character set, so an upgrade of either rebuilds them.

The bindings below call fontconfig and HarfBuzz (the libraries WeasyPrint itself loads; Debian libfontconfig1,
libharfbuzz0b, libharfbuzz-subset0) directly through cffi, a WeasyPrint dependency.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cffi

from honestmeter.notices.errors import CJKFontMissing, FontSetupError

CHARSET_VERSION = "gb2312+latin+punct/no-gsub/1"
_HB_SUBSET_SETS_DROP_TABLE_TAG = 3
BOLD = 700
REGULAR = 400
# fontconfig's weight scale: FC_WEIGHT_REGULAR = 80, FC_WEIGHT_BOLD = 200
_FC_WEIGHT = {REGULAR: 80, BOLD: 200}


@dataclass(frozen=True)
class Face:
    """One face of a system font family, as the notices' stylesheet asks for it.

    `variable_text`: the stylesheet sets text from the context (names, addresses) in this face, so its working set
    keeps all of GB 2312; otherwise only the templates' own characters (anything else still renders, from the
    system face, at the cost of embedding it).
    """

    family: str
    weight: int = REGULAR
    variable_text: bool = True

    @property
    def working_family(self) -> str:
        """The family the working-set subset is declared as in `@font-face`: one face per family, because
        fontconfig ranks language coverage above weight, so within one family a bold working set covering fewer
        characters than the regular one would lose to it and "bold" text would come out regular."""
        return f"HM {self.family}" if self.weight == REGULAR else f"HM {self.family} {self.weight}"


# Every face notices.css uses (family, weight); Debian's fonts-noto-cjk ships all of them. Each face a PDF uses
# costs about 10 ms per PDF, so the stylesheet keeps to few: small sans-serif print is set in Noto Sans Mono CJK,
# whose Chinese glyphs are Noto Sans CJK's (only its Latin letters and digits are monospaced).
NOTICE_FACES: tuple[Face, ...] = (
    Face("Noto Serif CJK SC", REGULAR),  # body text
    Face("Noto Serif CJK SC", BOLD, variable_text=False),  # titles, captions
    Face("Noto Sans CJK SC", BOLD),  # sticker: merchant name, headings
    Face("Noto Sans Mono CJK SC", REGULAR, variable_text=False),  # labels, footers, codes, hashes
)


@dataclass(frozen=True)
class FaceFile:
    face: Face
    path: Path
    index: int


# ------------------------------------------------------------------ native bindings

_ffi = cffi.FFI()
_ffi.cdef(
    """
    typedef int FcBool;
    typedef unsigned char FcChar8;
    typedef struct _FcConfig FcConfig;
    typedef struct _FcPattern FcPattern;
    typedef enum { FcResultMatch, FcResultNoMatch, FcResultTypeMismatch, FcResultNoId, FcResultOutOfMemory }
        FcResult;
    typedef enum { FcMatchPattern, FcMatchFont, FcMatchScan } FcMatchKind;
    FcConfig *FcInitLoadConfigAndFonts(void);
    void FcConfigDestroy(FcConfig *config);
    FcPattern *FcNameParse(const FcChar8 *name);
    void FcPatternDestroy(FcPattern *p);
    FcBool FcConfigSubstitute(FcConfig *config, FcPattern *p, FcMatchKind kind);
    void FcDefaultSubstitute(FcPattern *pattern);
    FcPattern *FcFontMatch(FcConfig *config, FcPattern *p, FcResult *result);
    FcResult FcPatternGetString(const FcPattern *p, const char *object, int n, FcChar8 **s);
    FcResult FcPatternGetInteger(const FcPattern *p, const char *object, int n, int *i);

    typedef struct hb_blob_t hb_blob_t;
    typedef struct hb_face_t hb_face_t;
    typedef struct hb_set_t hb_set_t;
    typedef struct hb_subset_input_t hb_subset_input_t;
    typedef uint32_t hb_codepoint_t;
    const char *hb_version_string(void);
    hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
    void hb_blob_destroy(hb_blob_t *blob);
    const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
    hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
    unsigned int hb_face_get_glyph_count(const hb_face_t *face);
    void hb_face_destroy(hb_face_t *face);
    hb_blob_t *hb_face_reference_blob(hb_face_t *face);
    void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
    hb_subset_input_t *hb_subset_input_create_or_fail(void);
    void hb_subset_input_destroy(hb_subset_input_t *input);
    hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
    hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
    hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
    """
)


def _dlopen(*names: str) -> Any:
    for name in names:
        try:
            return _ffi.dlopen(name)
        except OSError:
            continue
    raise FontSetupError(f"cannot load {names[0]}: PDF notices need it (Debian: see RUNTIME_DEBS in the Makefile)")


@cache
def _fontconfig() -> Any:
    return _dlopen("libfontconfig.so.1", "libfontconfig-1.dll", "libfontconfig.1.dylib", "fontconfig")


@cache
def _harfbuzz() -> Any:
    return _dlopen("libharfbuzz.so.0", "libharfbuzz-0.dll", "libharfbuzz.0.dylib", "harfbuzz")


@cache
def _harfbuzz_subset() -> Any:
    return _dlopen("libharfbuzz-subset.so.0", "libharfbuzz-subset-0.dll", "libharfbuzz-subset.0.dylib")


# ------------------------------------------------------------------ finding faces


def find_face(face: Face) -> FaceFile:
    """The file and collection index fontconfig serves for `face`; `CJKFontMissing` when it has no such face.

    fontconfig always returns *some* font: a request for a missing family is answered with a fallback that may not
    even cover Chinese, and a missing bold with the regular face. Both are refused here.
    """
    fc = _fontconfig()
    config = _ffi.gc(fc.FcInitLoadConfigAndFonts(), fc.FcConfigDestroy)
    pattern = _ffi.gc(fc.FcNameParse(f"{face.family}:weight={_FC_WEIGHT[face.weight]}".encode()), fc.FcPatternDestroy)
    fc.FcConfigSubstitute(config, pattern, fc.FcMatchPattern)
    fc.FcDefaultSubstitute(pattern)
    result = _ffi.new("FcResult *")
    match = fc.FcFontMatch(config, pattern, result)
    if match == _ffi.NULL:
        raise CJKFontMissing(_missing_message(face))
    match = _ffi.gc(match, fc.FcPatternDestroy)
    families = set(_strings(match, b"family"))
    weight = _ffi.new("int *")
    fc.FcPatternGetInteger(match, b"weight", 0, weight)
    if face.family not in families or (face.weight >= BOLD) != (weight[0] >= _FC_WEIGHT[BOLD]):
        raise CJKFontMissing(_missing_message(face))
    index = _ffi.new("int *")
    fc.FcPatternGetInteger(match, b"index", 0, index)
    return FaceFile(face, Path(next(iter(_strings(match, b"file")))), index[0])


def _strings(pattern: Any, name: bytes) -> Iterable[str]:
    value = _ffi.new("FcChar8 **")
    n = 0
    while _fontconfig().FcPatternGetString(pattern, name, n, value) == _fontconfig().FcResultMatch:
        yield _ffi.string(value[0]).decode("utf-8", "replace")
        n += 1


def _missing_message(face: Face) -> str:
    style = "bold" if face.weight >= BOLD else "regular"
    return (
        f"PDF notices need the {style} face of the font family {face.family!r}, which fontconfig does not have; "
        "install it (Debian: apt-get install fonts-noto-cjk) rather than print Chinese as blank boxes"
    )


# ------------------------------------------------------------------ working sets


def working_charset(extra_text: Iterable[str] = (), *, gb2312: bool = True) -> frozenset[int]:
    """Code points a working-set font keeps: ASCII, Latin-1, punctuation, full-width forms, the characters of
    `extra_text` and, with `gb2312`, all of GB 2312."""
    points: set[int] = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    for first, last in (
        (0x2000, 0x206F),  # general punctuation
        (0x2100, 0x218F),  # letterlike symbols, number forms (℃, №, Ⅰ)
        (0x2460, 0x24FF),  # enclosed alphanumerics (①)
        (0x3000, 0x303F),  # CJK symbols and punctuation
        (0xFF00, 0xFFEF),  # half-width and full-width forms
    ):
        points.update(range(first, last + 1))
    for high in range(0xA1, 0xF8) if gb2312 else ():
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    for text in extra_text:
        points.update(ord(char) for char in text if ord(char) >= 0x20)
    return frozenset(points)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "honestmeter" / "notice-fonts"


def working_set_fonts(
    faces: Sequence[Face], template_texts: Sequence[str], cache_dir: Path | None = None
) -> dict[Face, Path]:
    """Each face's working-set font file, built on first use and cached by source, HarfBuzz version and charset."""
    files = [find_face(face) for face in faces]
    directory = _writable_dir(cache_dir or default_cache_dir())
    version = _ffi.string(_harfbuzz().hb_version_string()).decode()
    charsets = {flag: working_charset(template_texts, gb2312=flag) for flag in (True, False)}
    built: dict[Face, Path] = {}
    for file in files:
        charset = charsets[file.face.variable_text]
        stat = file.path.stat()
        key = hashlib.sha256(
            f"{CHARSET_VERSION}|{file.path}|{file.index}|{stat.st_size}|{stat.st_mtime_ns}|hb {version}|".encode()
            + b"".join(point.to_bytes(4, "big") for point in sorted(charset))
        ).hexdigest()[:24]
        prefix = f"{file.face.family.replace(' ', '')}-{file.face.weight}-"
        target = directory / f"{prefix}{key}.otf"
        if not target.exists():
            _atomic_write(target, _subset(file, charset))
            _prune(directory, prefix, keep=target)
        built[file.face] = target
    return built


def font_face_css(fonts: dict[Face, Path]) -> str:
    """`@font-face` rules declaring each working-set font under its face's working family and weight."""
    return "\n".join(
        f'@font-face {{ font-family: "{face.working_family}"; font-weight: {face.weight}; font-style: normal; '
        f'src: url("{path.as_uri()}"); }}'
        for face, path in fonts.items()
    )


def _subset(file: FaceFile, charset: frozenset[int]) -> bytes:
    hb, hbs = _harfbuzz(), _harfbuzz_subset()
    blob = hb.hb_blob_create_from_file_or_fail(os.fsencode(file.path))
    if blob == _ffi.NULL:
        raise FontSetupError(f"cannot read font file {file.path}")
    blob = _ffi.gc(blob, hb.hb_blob_destroy)
    face = _ffi.gc(hb.hb_face_create(blob, file.index), hb.hb_face_destroy)
    if hb.hb_face_get_glyph_count(face) == 0:
        raise FontSetupError(f"{file.path} has no face at index {file.index}")
    subset_input = _ffi.gc(hbs.hb_subset_input_create_or_fail(), hbs.hb_subset_input_destroy)
    unicodes = hbs.hb_subset_input_unicode_set(subset_input)
    for point in sorted(charset):
        hb.hb_set_add(unicodes, point)
    # Without GSUB the subset keeps no glyphs reachable only by substitution (vertical, traditional, ruby forms):
    # 8,000 glyphs instead of 14,000, and horizontal Simplified Chinese in the SC face needs none of them.
    hb.hb_set_add(hbs.hb_subset_input_set(subset_input, _HB_SUBSET_SETS_DROP_TABLE_TAG), _tag(b"GSUB"))
    result = hbs.hb_subset_or_fail(face, subset_input)
    if result == _ffi.NULL:
        raise FontSetupError(f"HarfBuzz could not subset {file.path} (index {file.index})")
    result = _ffi.gc(result, hb.hb_face_destroy)
    data_blob = _ffi.gc(hb.hb_face_reference_blob(result), hb.hb_blob_destroy)
    length = _ffi.new("unsigned int *")
    data = _ffi.unpack(hb.hb_blob_get_data(data_blob, length), length[0])
    if not data:
        raise FontSetupError(f"HarfBuzz produced an empty subset of {file.path}")
    return bytes(data)


def _tag(name: bytes) -> int:
    return int.from_bytes(name, "big")


def _prune(directory: Path, prefix: str, keep: Path) -> None:
    # Working sets of older templates or fonts. Renderers copy a font when they load it, so deleting it is safe;
    # waiting a week spares two checkouts of different templates sharing a cache from rebuilding each other's.
    week_ago = time.time() - 7 * 24 * 3600
    for stale in directory.glob(f"{prefix}*.otf"):
        with contextlib.suppress(OSError):
            if stale != keep and stale.stat().st_mtime < week_ago:
                stale.unlink()


def _writable_dir(directory: Path) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = tempfile.NamedTemporaryFile(dir=directory, prefix=".probe-")  # noqa: SIM115
        probe.close()
    except OSError:
        # A read-only home (some service accounts): a private directory for this process.
        private = tempfile.mkdtemp(prefix="honestmeter-notice-fonts-")
        atexit.register(shutil.rmtree, private, True)
        return Path(private)
    return directory


def _atomic_write(target: Path, data: bytes) -> None:
    # Several processes may build the same file at once (a pool starting up); each writes its own temporary file
    # and renames it into place, so readers see either nothing or a whole font.
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
