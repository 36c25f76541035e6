"""CLI commands of the analysis areas, each area in its own module here.

Every module listed in ``COMMAND_MODULES`` defines ``COMMANDS``: a list of click commands (or
groups) that :func:`register` adds to the ``narratrace`` group. The modules stay thin: open the
store, call one library function, print.
"""

from __future__ import annotations

import importlib

import click

from narratrace.analyses import registered_analyses

__all__ = ["COMMAND_MODULES", "register"]

#: The shared layers' commands (evaluation, stores, Spark); each analysis adds its own (``Analysis.commands``).
SHARED_COMMAND_MODULES = ("narratrace.commands.quality", "narratrace.commands.stores", "narratrace.commands.spark")


def command_modules() -> tuple[str, ...]:
    return SHARED_COMMAND_MODULES + tuple(m for a in registered_analyses() for m in a.commands)


def __getattr__(name: str) -> object:
    if name == "COMMAND_MODULES":
        return command_modules()
    raise AttributeError(name)


def register(group: click.Group) -> None:
    for name in command_modules():
        for command in importlib.import_module(name).COMMANDS:
            group.add_command(command)
