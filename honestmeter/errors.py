"""Domain errors: services raise these, routes map them to HTTP responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping


class DomainError(Exception):
    """Base class for business-rule failures; the message is shown to the user.

    `message` is a msgid, with `%(name)s` placeholders filled from `params`: pages translate the msgid first and
    fill it in afterwards (`localized`), so a message with a number in it still finds its translation.
    """

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, params: Mapping[str, object] | None = None) -> None:
        self.msgid = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message  # the Chinese text, for logs and CLI
        super().__init__(self.message)
        self.field = field

    def localized(self, translate: Callable[..., str]) -> str:
        """The message in the reader's language, given gettext."""
        return translate(self.msgid, **self.params) if self.params else translate(self.msgid)


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action (e.g. approving an active account)."""

    status_code = 409


class ValidationFailed(DomainError):
    status_code = 422
