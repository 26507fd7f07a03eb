"""Domain errors: services raise these, routes map them to HTTP responses."""

from __future__ import annotations


class DomainError(Exception):
    """Base class for business-rule failures; the message is shown to the user."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action (e.g. approving an active account)."""

    status_code = 409


class ValidationFailed(DomainError):
    status_code = 422
