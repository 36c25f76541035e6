"""CLI commands of the factchecks area (see narratrace.commands)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
