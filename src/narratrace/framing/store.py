"""SQL of the framing area: entity roles stored as ``kind="framing"`` annotations, with article metadata."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from narratrace.store.db import Store

from narratrace.framing.taxonomy import MAIN_ROLES
from narratrace.narratives.store import story_filter
from narratrace.store.reviews import ReviewKind
from narratrace.store.tables import TableColumn, TableFilter, TableSpec, article_columns, article_filters, list_text

__all__ = ["FRAMING_TABLE", "REVIEW", "framing_annotations", "framing_annotations_exist", "save_framing"]


def save_framing(store: Store, stage: str, version: str, result: Any) -> None:
    """Entity roles are per-article annotations of a corpus stage; an article the model cannot read
    (its ``data`` says ``not_analysed``) is recorded as not analysed, with the reason."""
    rows = list(result.rows)
    skipped = [(aid, str(data["not_analysed"])) for aid, _, data, _ in rows
               if isinstance(data, dict) and "not_analysed" in data]
    store.save_stage_results(stage, version, [r for r in rows if not (isinstance(r[2], dict) and "not_analysed" in r[2])])
    if skipped:
        store.save_not_analysed(stage, version, skipped)


def framing_annotations_exist(store: Store) -> bool:
    """Whether any article has a framing result (one indexed look-up)."""
    return store.db.execute("SELECT 1 FROM annotations WHERE kind = 'framing' LIMIT 1").fetchone() is not None


def framing_annotations(store: Store, *, article_id: str | None = None, outlet: str | None = None
                        ) -> list[dict[str, Any]]:
    """Every framing annotation (of one article, or of one outlet's articles), in ingestion then text order.

    Each row: ``article_id, ref, title, outlet, published, start, end, label, data`` (``data`` decoded).
    """
    sql = ('SELECT a.id, a.ref, a.title, a.outlet, a.published, n.start, n."end", n.label, n.data '
           "FROM annotations n JOIN articles a ON a.id = n.article_id WHERE n.kind = 'framing'")
    args: list[Any] = []
    if article_id is not None:
        sql += " AND a.id = ?"
        args.append(article_id)
    if outlet is not None:
        sql += " AND lower(a.outlet) = lower(?)"
        args.append(outlet)
    keys = ("article_id", "ref", "title", "outlet", "published", "start", "end", "label", "data")
    rows = []
    for row in store.db.execute(sql + " ORDER BY a.rowid, n.start, n.\"end\", n.rowid", args):
        d = dict(zip(keys, row))
        d["data"] = json.loads(d["data"] or "{}")
        rows.append(d)
    return rows


def _evidence() -> str:
    start = "CAST(json_extract(n.data, '$.evidence_start') AS INTEGER)"
    return f"substr(a.text, {start} + 1, CAST(json_extract(n.data, '$.evidence_end') AS INTEGER) - {start})"


_FINE = "json_extract(n.data, '$.fine_roles')"
_ENTITY = "json_extract(n.data, '$.entity')"
_SCORE = "CAST(json_extract(n.data, '$.score') AS REAL)"

FRAMING_TABLE = TableSpec(
    "framing", "Entity roles", "FROM annotations n JOIN articles a ON a.id = n.article_id",
    where="n.kind = 'framing'",
    columns=(*article_columns(),
             TableColumn("entity", _ENTITY, "Entity", link="filter"),
             TableColumn("entity_label", "json_extract(n.data, '$.entity_label')", "Type"),
             TableColumn("role", "n.label", "Main role", link="filter"),
             TableColumn("fine_roles", list_text(_FINE), "Fine roles"),
             TableColumn("score", _SCORE, "Score", kind="number"),
             TableColumn("evidence", _evidence(), "Evidence sentence", width=300)),
    filters=(*article_filters(),
             TableFilter("role", "n.label", "eq", "Main role", facet=True,
                         description="Protagonist, Antagonist or Innocent"),
             TableFilter("entity", _ENTITY, facet=True, description="the entity as named"),
             TableFilter("fine_role", _FINE, "contains", "Fine role", description="a fine role (Guardian, Victim, ...)"),
             TableFilter("q", _evidence(), "search", "Text", description="words in the evidence sentence"),
             story_filter()),
    sort="-published", key=("a.rowid", "n.start"), row_id="n.rowid",
    description="The role each article gives each entity it names, with the sentence that shows it.")
"""Entity roles (``framing`` annotations): entity, main role, fine roles, score and evidence sentence."""


REVIEW = ReviewKind(
    "role", "Entity roles", "framing", label_name="main role", choices=MAIN_ROLES, label_in_key=False,
    key_field="entity", answer_fields=("fine_roles",), threshold=0.0, spans_editable=False,
    benchmark="semeval-framing", benchmark_writer="narratrace.framing.reviews:write_semeval_framing")
"""An entity's role in one article: confirm, reject or pick another main role (score: the role's
probability, so the least sure roles come first)."""
