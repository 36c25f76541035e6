"""Ingestion's part of the JSON export: the inputs skipped, each with its reason code."""

from __future__ import annotations

from typing import Any

from narratrace.store import Store

__all__ = ["export_section"]


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    return {"skipped": [s.to_dict() for s in store.skipped()]}
