"""The Spark engine: the same ingestion and analysis code as the local pipeline, run by PySpark.

``narratrace spark analyze`` parses inputs and runs every stage: the per-article stages as
partitioned Spark work (``mapInArrow`` calling the very functions the local runner calls), each
corpus stage by its analysis's Spark step (``Analysis.spark``: the republications' joins, the
claim groups' banded candidate links and components, and the stage's own code on task stores,
:mod:`narratrace.spark.corpus`); it writes Parquet tables shaped like the JSON export.
``narratrace load`` brings them into a store, where ``narratrace analyze`` has nothing left to do.

PySpark is an optional dependency (``pip install 'narratrace[spark]'``); only
:mod:`narratrace.spark.engine` and the modules it uses import it. :mod:`.load` needs pyarrow only.
"""

from __future__ import annotations

__all__ = ["OUTPUT_TABLES"]

#: The Parquet tables of an output directory, in the order they are written.
OUTPUT_TABLES = ("articles", "skipped", "stage_results", "annotations", "republication_pairs",
                 "republication_groups")
