"""CLI commands of the narratives area (see narratrace.commands)."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
