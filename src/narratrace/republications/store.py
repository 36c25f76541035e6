"""The republications' tables: copy pairs with their evidence, and groups with their original.

The store reads and writes them (``Store.save_republications``, ``republication_pairs``,
``republication_groups``) because every corpus stage may read the copies (``CorpusView``).
"""

from __future__ import annotations

from narratrace.schema import Index, Migration, Table, col

__all__ = ["MIGRATIONS"]

MIGRATIONS = (Migration("republications_001", tables=(
    Table("republication_pairs", (
        col("original", null=False, references="articles(id)"), col("copy", null=False, references="articles(id)"),
        col("similarity", "real", null=False), col("copy_share", "real", null=False), col("data", null=False)),
        primary_key=("original", "copy"), indexes=(Index("republication_pairs_copy", ("copy",)),), ordered=True),
    Table("republication_groups", (col("id", "integer", primary_key=True), col("original", null=False),
                                   col("members", null=False), col("reason", null=False))))),)
"""Made by ``001_initial`` before the republications had a package; re-running it is a no-op."""
