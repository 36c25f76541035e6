"""The republications' part of the JSON export: copy pairs with their passages, and groups."""

from __future__ import annotations

from typing import Any

from narratrace.store import Store

__all__ = ["export_section"]


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    republications = []
    for pair in store.republication_pairs():
        d = pair.to_dict()
        d["original"], d["copy"] = ref[pair.original], ref[pair.copy]
        republications.append(d)
    groups = [{"id": g.id, "original": ref[g.original], "members": [ref[m] for m in g.members], "reason": g.reason}
              for g in store.republication_groups()]
    return {"republications": republications, "republication_groups": groups}
