"""Typed configuration, read from the environment once, inside create_app (never at import time)."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(var_dir: Path) -> str:
    """Return the key kept under var/, generating it on first use.

    A generated key must survive restarts (or every session and CSRF token dies with the process),
    and must never be committed, so it lives in var/ with owner-only permissions.
    """
    return write_secret_once(var_dir / "secret_key", secrets.token_hex(32))


def write_secret_once(path: Path, text: str) -> str:
    """The text in `path`, writing `text` there first if the file does not exist yet (mode 0600).

    Several processes (gunicorn workers, the scheduler) may start at once on a fresh var/: each writes a
    complete temporary file and links it into place, so exactly one wins and nobody reads a half-written
    file or an empty one.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # created 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another process won the race: its key is the key
            return path.read_text().strip()
        return text
    finally:
        os.unlink(temporary)


@dataclass
class Config:
    """Settings with their defaults; names are the Flask config keys."""

    VAR_DIR: str = "var"
    SQLALCHEMY_DATABASE_URI: str = ""
    SECRET_KEY: str = ""
    LEDGER_CHAIN: str = "embedded"
    # Where printed QR codes point (the public site's address); unset: the address a request came to.
    PUBLIC_BASE_URL: str = ""
    # The log's name in its checkpoints; make it unique per deployment (e.g. the bureau's domain).
    LEDGER_ORIGIN: str = "honestmeter.local/ledger"
    LEDGER_SIGNING_KEY: str = ""  # base64 Ed25519 seed; unset → generated once under var/ledger/
    LEDGER_PRIVATE_KEY: str = ""  # hex key of the anchoring account on an external node
    LEDGER_ANVIL_PORT: int = 8545
    LEDGER_ANCHOR_SECONDS: int = 60
    HONESTMETER_ENV: str = "development"
    # A regulator may let merchant accounts activate without review (small pilots); off by default.
    AUTO_APPROVE_MERCHANTS: bool = False
    RATELIMIT_STORAGE_URI: str = "memory://"
    LOGIN_RATE_LIMIT: str = "10 per minute;100 per day"
    MAX_CONTENT_LENGTH: int = 10 * 1024 * 1024
    SESSION_COOKIE_SECURE: bool = False
    SESSION_COOKIE_HTTPONLY: bool = True
    SESSION_COOKIE_SAMESITE: str = "Lax"
    REMEMBER_COOKIE_HTTPONLY: bool = True
    REMEMBER_COOKIE_SAMESITE: str = "Lax"
    BABEL_DEFAULT_LOCALE: str = "zh"
    BABEL_DEFAULT_TIMEZONE: str = "Asia/Shanghai"
    LANGUAGES: tuple[str, ...] = ("zh", "en")
    SCHEDULER_HEARTBEAT_SECONDS: int = 60
    # /healthz and the operations page: anchoring behind by longer than this is reported as degraded.
    ANCHOR_LAG_WARN_SECONDS: int = 900
    PROXY_HOPS: int = 0  # reverse proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are trusted
    LOG_FORMAT: str = "text"  # "json" (one object a line, production default) or "text"
    LOG_LEVEL: str = "INFO"
    LOG_REQUESTS: bool = True  # one access-log line per request, with its request id
    MAIL_SMTP_HOST: str = ""  # unset: mail is written to the log
    MAIL_SMTP_PORT: int = 25
    MAIL_SMTP_USER: str = ""
    MAIL_SMTP_PASSWORD: str = ""
    MAIL_SMTP_STARTTLS: bool = False
    MAIL_FROM: str = "honestmeter@localhost"
    COMMITMENT_VALID_MONTHS: int = 12
    COMMITMENT_RENEW_DAYS: int = 30  # renewal opens this many days before the last valid day
    AUTHORITY_NAME: str = "市场监督管理局"  # 检查实施机关 printed on notices and results; set per deployment
    PUBLISH_WORKING_DAYS: int = 20  # results are published within this many working days of completion
    PUBLISH_WARN_WORKING_DAYS: int = 5  # warn this many working days before a publication deadline
    EVIDENCE_MAX_BYTES: int = 8 * 1024 * 1024  # one evidence photo
    # Upload limits (bytes) of a certificate scan and an instrument import (web uploads; the CLI reads any size);
    # Flask's MAX_CONTENT_LENGTH still caps any request.
    CERTIFICATE_SCAN_MAX_BYTES: int = 5 * 1024 * 1024
    INSTRUMENT_IMPORT_MAX_BYTES: int = 5 * 1024 * 1024
    # Credit grading and lists (DESIGN §6, domain.md §4). The enterprise risk class is internal; this metrology
    # grade is public by default.
    GRADES_PUBLIC: bool = True
    PENALTY_LOW_FINE_LEGAL: int = 100_000  # 较低数额罚款 below this (yuan) for a legal person (Hubei example)
    PENALTY_LOW_FINE_PERSON: int = 10_000  # … and for a natural person / 个体工商户
    PENALTY_SPECIAL_REPAIR_MONTHS: int = 12  # food, drug, special-equipment penalties: repair after 1 year
    SERIOUS_LIST_REPAIR_MONTHS: int = 12  # early removal from 严重违法失信名单 after 1 year on it
    SERIOUS_LIST_YEARS: int = 3  # automatic removal
    MODEL_UNIT_VALID_MONTHS: int = 12  # 示范单位 titles are typically annual (domain.md §3.4)
    STALE_INSPECTION_MONTHS: int = 24  # the public page flags a merchant not inspected for longer than this
    COMPLAINT_RATE_LIMIT: str = "5 per hour;20 per day"  # new complaints per address (form and API)
    TRACKING_RATE_LIMIT: str = "30 per minute"  # tracking-code look-ups per address: codes cannot be guessed
    API_RATE_LIMIT: str = "120 per minute"  # open data API reads per address
    # 举报奖励: the most one reward may be (yuan); 0 turns rewards off where local rules have none.
    REPORT_REWARD_MAX: int = 5_000
    # Rendered public merchant pages kept per process (public/page_cache.py); None: 2,000, or 0 when testing.
    PUBLIC_PAGE_CACHE_SIZE: int | None = None
    PUBLIC_PAGE_CACHE_SECONDS: int = 300  # and how long one is kept at most
    PUBLIC_PAGE_CACHE_FRESHNESS: float = 1.0  # how old this process's idea of the ledger size may be (seconds)
    # How long the transparency figures are kept per process (public/stats.py); None: 300, or 0 when testing.
    TRANSPARENCY_CACHE_SECONDS: int | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = field(default_factory=lambda: {"pool_pre_ping": True})
    TESTING: bool = False
    WTF_CSRF_ENABLED: bool = True
    RATELIMIT_ENABLED: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        var_dir = Path(environ.get("HONESTMETER_VAR_DIR", "var")).resolve()
        env = environ.get("HONESTMETER_ENV", "development")
        database_url = environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'honestmeter.db'}"
        return cls(
            VAR_DIR=str(var_dir),
            SQLALCHEMY_DATABASE_URI=normalize_database_url(database_url),
            SECRET_KEY=environ.get("SECRET_KEY") or "",
            LEDGER_CHAIN=environ.get("LEDGER_CHAIN", "embedded"),
            PUBLIC_BASE_URL=environ.get("PUBLIC_BASE_URL", ""),
            LEDGER_ORIGIN=environ.get("LEDGER_ORIGIN", cls.LEDGER_ORIGIN),
            LEDGER_SIGNING_KEY=environ.get("LEDGER_SIGNING_KEY", ""),
            LEDGER_PRIVATE_KEY=environ.get("LEDGER_PRIVATE_KEY", ""),
            LEDGER_ANVIL_PORT=int(environ.get("LEDGER_ANVIL_PORT", cls.LEDGER_ANVIL_PORT)),
            LEDGER_ANCHOR_SECONDS=int(environ.get("LEDGER_ANCHOR_SECONDS", cls.LEDGER_ANCHOR_SECONDS)),
            MAIL_SMTP_HOST=environ.get("MAIL_SMTP_HOST", ""),
            MAIL_SMTP_PORT=int(environ.get("MAIL_SMTP_PORT", "25")),
            MAIL_SMTP_USER=environ.get("MAIL_SMTP_USER", ""),
            MAIL_SMTP_PASSWORD=environ.get("MAIL_SMTP_PASSWORD", ""),
            MAIL_SMTP_STARTTLS=_bool(environ.get("MAIL_SMTP_STARTTLS"), False),
            MAIL_FROM=environ.get("MAIL_FROM", cls.MAIL_FROM),
            COMMITMENT_VALID_MONTHS=int(environ.get("COMMITMENT_VALID_MONTHS", cls.COMMITMENT_VALID_MONTHS)),
            COMMITMENT_RENEW_DAYS=int(environ.get("COMMITMENT_RENEW_DAYS", cls.COMMITMENT_RENEW_DAYS)),
            AUTHORITY_NAME=environ.get("AUTHORITY_NAME", cls.AUTHORITY_NAME),
            PUBLISH_WORKING_DAYS=int(environ.get("PUBLISH_WORKING_DAYS", cls.PUBLISH_WORKING_DAYS)),
            PUBLISH_WARN_WORKING_DAYS=int(environ.get("PUBLISH_WARN_WORKING_DAYS", cls.PUBLISH_WARN_WORKING_DAYS)),
            EVIDENCE_MAX_BYTES=int(environ.get("EVIDENCE_MAX_BYTES", cls.EVIDENCE_MAX_BYTES)),
            GRADES_PUBLIC=_bool(environ.get("GRADES_PUBLIC"), True),
            PENALTY_LOW_FINE_LEGAL=int(environ.get("PENALTY_LOW_FINE_LEGAL", cls.PENALTY_LOW_FINE_LEGAL)),
            PENALTY_LOW_FINE_PERSON=int(environ.get("PENALTY_LOW_FINE_PERSON", cls.PENALTY_LOW_FINE_PERSON)),
            PENALTY_SPECIAL_REPAIR_MONTHS=int(
                environ.get("PENALTY_SPECIAL_REPAIR_MONTHS", cls.PENALTY_SPECIAL_REPAIR_MONTHS)
            ),
            SERIOUS_LIST_REPAIR_MONTHS=int(environ.get("SERIOUS_LIST_REPAIR_MONTHS", cls.SERIOUS_LIST_REPAIR_MONTHS)),
            SERIOUS_LIST_YEARS=int(environ.get("SERIOUS_LIST_YEARS", cls.SERIOUS_LIST_YEARS)),
            MODEL_UNIT_VALID_MONTHS=int(environ.get("MODEL_UNIT_VALID_MONTHS", cls.MODEL_UNIT_VALID_MONTHS)),
            STALE_INSPECTION_MONTHS=int(environ.get("STALE_INSPECTION_MONTHS", cls.STALE_INSPECTION_MONTHS)),
            COMPLAINT_RATE_LIMIT=environ.get("COMPLAINT_RATE_LIMIT", cls.COMPLAINT_RATE_LIMIT),
            TRACKING_RATE_LIMIT=environ.get("TRACKING_RATE_LIMIT", cls.TRACKING_RATE_LIMIT),
            API_RATE_LIMIT=environ.get("API_RATE_LIMIT", cls.API_RATE_LIMIT),
            REPORT_REWARD_MAX=int(environ.get("REPORT_REWARD_MAX", cls.REPORT_REWARD_MAX)),
            PUBLIC_PAGE_CACHE_FRESHNESS=float(
                environ.get("PUBLIC_PAGE_CACHE_FRESHNESS", cls.PUBLIC_PAGE_CACHE_FRESHNESS)
            ),
            PUBLIC_PAGE_CACHE_SECONDS=int(environ.get("PUBLIC_PAGE_CACHE_SECONDS", cls.PUBLIC_PAGE_CACHE_SECONDS)),
            PUBLIC_PAGE_CACHE_SIZE=(
                int(environ["PUBLIC_PAGE_CACHE_SIZE"]) if environ.get("PUBLIC_PAGE_CACHE_SIZE") else None
            ),
            HONESTMETER_ENV=env,
            SCHEDULER_HEARTBEAT_SECONDS=int(
                environ.get("SCHEDULER_HEARTBEAT_SECONDS", cls.SCHEDULER_HEARTBEAT_SECONDS)
            ),
            ANCHOR_LAG_WARN_SECONDS=int(environ.get("ANCHOR_LAG_WARN_SECONDS", cls.ANCHOR_LAG_WARN_SECONDS)),
            PROXY_HOPS=int(environ.get("PROXY_HOPS", "0")),
            LOG_FORMAT=environ.get("LOG_FORMAT", "json" if env == "production" else "text"),
            LOG_LEVEL=environ.get("LOG_LEVEL", cls.LOG_LEVEL).upper(),
            LOG_REQUESTS=_bool(environ.get("LOG_REQUESTS"), True),
            AUTO_APPROVE_MERCHANTS=_bool(environ.get("AUTO_APPROVE_MERCHANTS"), False),
            RATELIMIT_STORAGE_URI=environ.get("RATELIMIT_STORAGE_URI", "memory://"),
            LOGIN_RATE_LIMIT=environ.get("LOGIN_RATE_LIMIT", cls.LOGIN_RATE_LIMIT),
            # Production runs behind TLS; the embedded default serves plain HTTP on loopback.
            SESSION_COOKIE_SECURE=_bool(environ.get("SESSION_COOKIE_SECURE"), env == "production"),
        )

    def as_mapping(self) -> dict[str, Any]:
        return asdict(self)


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs (SQLAlchemy would otherwise pick psycopg2)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
