"""Exceptions raised by narratrace.

The library raises; the CLI and the web layer translate. Every error carries a
short stable ``code`` so that logs, skips and API responses can be grepped::

    NarratraceError
    ├── ConfigError          bad option, unknown stage, unmet stage requirement
    ├── InputError           a file or record that cannot be read (becomes a skip)
    ├── StoreError           the database cannot be opened or written
    │   ├── MigrationError   a schema migration failed or the file is newer than us
    │   └── StoreLocked      another process is writing the store (carries its holder)
    ├── StageError           a stage failed on one article (carries stage and article)
    └── NotFound             an article, group or record that does not exist
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InputError",
    "MigrationError",
    "NarratraceError",
    "NotFound",
    "StageError",
    "StoreError",
    "StoreLocked",
]


class NarratraceError(Exception):
    """Base class of every error narratrace raises on purpose."""

    code = "NT000"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ConfigError(NarratraceError):
    code = "NT100"


class InputError(NarratraceError):
    """An input that cannot be ingested; ``reason`` is what the skip list records."""

    code = "NT200"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class StoreError(NarratraceError):
    code = "NT300"


class MigrationError(StoreError):
    code = "NT310"


class StoreLocked(StoreError):
    """Another process holds the store's writers' lock; ``holder`` says who, when known
    (a :class:`narratrace.store.lock.LockHolder`: pid, host, command, start time)."""

    code = "NT320"

    def __init__(self, message: str, *, holder: object = None) -> None:
        super().__init__(message)
        self.holder = holder


class StageError(NarratraceError):
    code = "NT400"

    def __init__(self, message: str, *, stage: str, article_id: str | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.article_id = article_id


class NotFound(NarratraceError):
    code = "NT404"
