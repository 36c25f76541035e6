"""The role taxonomy of entity framing (SemEval-2025 Task 10 subtask 1), read from a data file.

``narratrace/data/taxonomies/framing_roles.tsv`` holds the 3 main roles and the 22 fine roles
with the task's names and descriptions written for narratrace. Every fine role belongs to
exactly one main role.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from narratrace.errors import ConfigError

__all__ = ["MAIN_ROLES", "Role", "Taxonomy", "load_taxonomy"]

MAIN_ROLES: tuple[str, ...] = ("Protagonist", "Antagonist", "Innocent")


@dataclass(frozen=True, slots=True)
class Role:
    main: str
    fine: str | None
    description: str


@dataclass(frozen=True, slots=True)
class Taxonomy:
    roles: tuple[Role, ...]

    @property
    def fine_roles(self) -> tuple[str, ...]:
        return tuple(r.fine for r in self.roles if r.fine)

    def main_of(self, fine: str) -> str:
        for r in self.roles:
            if r.fine == fine:
                return r.main
        raise ConfigError(f"unknown fine role {fine!r}; known: {', '.join(self.fine_roles)}")

    def fine_of(self, main: str) -> tuple[str, ...]:
        return tuple(r.fine for r in self.roles if r.main == main and r.fine)

    def description(self, main: str, fine: str | None = None) -> str:
        for r in self.roles:
            if r.main == main and r.fine == fine:
                return r.description
        return ""


def _default_path() -> Path:
    return Path(str(resources.files("narratrace") / "data" / "taxonomies" / "framing_roles.tsv"))


@functools.lru_cache(maxsize=4)
def load_taxonomy(path: str | None = None) -> Taxonomy:
    """The roles in ``path`` (default: the shipped file); a malformed file raises ``ConfigError``."""
    file = Path(path) if path else _default_path()
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the framing role taxonomy {file}: {exc}") from None
    roles = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[0] not in MAIN_ROLES:
            raise ConfigError(f"{file}:{number}: expected main_role<TAB>fine_role<TAB>description "
                              f"with a main role of {', '.join(MAIN_ROLES)}")
        roles.append(Role(parts[0], parts[1] or None, parts[2]))
    return Taxonomy(tuple(roles))
