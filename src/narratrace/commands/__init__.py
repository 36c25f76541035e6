"""CLI commands of the analysis areas, each area in its own module here.

Every module listed in ``COMMAND_MODULES`` defines ``COMMANDS``: a list of click commands (or
groups) that :func:`register` adds to the ``narratrace`` group. The modules stay thin: open the
store, call one library function, print.
"""

from __future__ import annotations

import importlib

import click

__all__ = ["COMMAND_MODULES", "register"]

COMMAND_MODULES = ("narratrace.commands.quality", "narratrace.commands.factchecks",
                   "narratrace.commands.narratives", "narratrace.commands.techniques",
                   "narratrace.commands.framing", "narratrace.commands.stores",
                   "narratrace.commands.spark")


def register(group: click.Group) -> None:
    for name in COMMAND_MODULES:
        for command in importlib.import_module(name).COMMANDS:
            group.add_command(command)
