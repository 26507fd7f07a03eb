"""The mail port: a logging mailer by default, SMTP when MAIL_SMTP_HOST is set."""

from __future__ import annotations

import logging
import smtplib
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from honestmeter.settings import settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None:
        """Deliver one message or raise."""


class LoggingMailer:
    """Writes messages to the log (and keeps the last few, for the admin page and tests)."""

    def __init__(self) -> None:
        self.sent: deque[Mail] = deque(maxlen=200)

    def send(self, mail: Mail) -> None:
        log.info("mail to %s: %s", mail.to, mail.subject)
        self.sent.append(mail)


class SmtpMailer:
    def __init__(self, host: str, port: int, sender: str, user: str | None, password: str | None, starttls: bool):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls = user, password, starttls

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        message.set_content(mail.body)
        with smtplib.SMTP(self.host, self.port, timeout=20) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message)


_logging_mailer = LoggingMailer()


def mailer() -> Mailer:
    config = settings()
    if config.MAIL_SMTP_HOST:
        return SmtpMailer(
            config.MAIL_SMTP_HOST,
            config.MAIL_SMTP_PORT,
            config.MAIL_FROM,
            config.MAIL_SMTP_USER or None,
            config.MAIL_SMTP_PASSWORD or None,
            config.MAIL_SMTP_STARTTLS,
        )
    return _logging_mailer


def logged() -> LoggingMailer:
    return _logging_mailer
