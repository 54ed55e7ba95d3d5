"""The one error tree of crmtui and the one mapping from errors to exit codes.

Domain and store code raise these; the CLI prints `str(error)` to stderr and exits
with `exit_code(error)`; the app shows the same message in a notification or form.
"""

from __future__ import annotations

OK = 0
DOMAIN_ERROR = 1
USAGE = 2
INTERRUPTED = 130


class CrmError(Exception):
    """Base of every error a user can cause or fix. Never shown with a traceback."""

    exit_code = DOMAIN_ERROR

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class NotFound(CrmError):
    """A referenced record does not exist."""


class Ambiguous(CrmError):
    """A reference by name matches more than one record."""


class Invalid(CrmError):
    """A value does not satisfy a rule. Carries the field and value when known."""

    def __init__(self, message: str, *, field: str | None = None, value: object = None,
                 hint: str | None = None):
        super().__init__(message, hint=hint)
        self.field = field
        self.value = value


class Conflict(CrmError):
    """The record changed since it was read, or the change clashes with existing data."""

    def __init__(self, message: str, *, current: dict | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.current = current or {}


class StoreError(CrmError):
    """The store cannot be opened, migrated or written (locked, corrupt, wrong version)."""


class UsageError(CrmError):
    """The command line is wrong in a way only the command can tell."""

    exit_code = USAGE


def exit_code(error: BaseException) -> int:
    if isinstance(error, KeyboardInterrupt):
        return INTERRUPTED
    if isinstance(error, CrmError):
        return error.exit_code
    return DOMAIN_ERROR
