"""Starting a SparkSession that runs this interpreter's narratrace on the executors.

Executors must import the same narratrace (and NumPy, xxhash...) as the driver, so a local
session points ``spark.pyspark.python`` at ``sys.executable``; on a cluster the submitter sets
it (see docs/scale.md). PySpark's warning that pandas 3 is not fully supported is silenced
where we call into it: we exchange Arrow batches (``mapInArrow``), never pandas frames.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

from narratrace.errors import ConfigError

__all__ = ["quiet_pyspark", "spark_session"]


@contextlib.contextmanager
def quiet_pyspark() -> Iterator[None]:
    """Silence PySpark's pandas-version FutureWarning (we use Arrow batches, not pandas)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                                category=FutureWarning)
        yield


def spark_session(master: str | None = "local[2]", *, partitions: int = 8, app_name: str = "narratrace") -> Any:
    """A SparkSession (the active one is reused, e.g. under ``spark-submit`` or in tests)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(f"the Spark engine needs its extra: pip install 'narratrace[spark]' ({exc})") from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    if master is None or master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.pyspark.python", os.environ["PYSPARK_PYTHON"])
    builder = (builder.config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(partitions))
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")
               .config("spark.sql.sources.partitionOverwriteMode", "static"))
    with quiet_pyspark():
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
