"""One exception root for everything madoguchi raises on purpose.

Hierarchy::

    MadoguchiError
    ├── NotFoundError            unknown id, or an id the actor may not see (both answer 404)
    ├── PermissionDeniedError    the actor is known but may not do this (403 where it is not a read)
    ├── AuthenticationError      wrong password, bad token, missing or wrong second factor
    ├── ValidationError          input a person can correct; carries the field name
    ├── ConflictError            a unique value is taken, or the state does not allow the change
    ├── ConfigurationError       settings are missing or inconsistent
    └── InputFormatError         evidence that cannot be read (damaged, unknown format, hostile)
        └── ArchiveError         refused or broken archive member (traversal, bomb, bad password)

Every error carries a short machine ``code`` and, where it makes sense, ``where``
(a file path, a record id, a field name) so a batch can collect them and show them.
"""

from __future__ import annotations


class MadoguchiError(Exception):
    """Root of every error madoguchi raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class NotFoundError(MadoguchiError):
    code = "not_found"


class PermissionDeniedError(MadoguchiError):
    code = "forbidden"


class AuthenticationError(MadoguchiError):
    code = "authentication"


class ValidationError(MadoguchiError):
    code = "invalid"


class ConflictError(MadoguchiError):
    code = "conflict"


class ConfigurationError(MadoguchiError):
    code = "configuration"


class InputFormatError(MadoguchiError):
    code = "input_format"


class ArchiveError(InputFormatError):
    code = "archive"
