"""An output directory on any Hadoop file system, with atomic table writes.

A table is written by Spark into ``_tmp/<table>`` and renamed to ``<table>`` only once complete,
so a table that exists is whole: a killed job leaves at most a temporary directory, which the
next run overwrites. ``_run.json`` holds the key of the run (inputs, stages, versions); a
re-run with the same key keeps the complete tables, one with another key starts afresh.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["OutputDir"]


class OutputDir:
    """Exists/rename/delete/small JSON files through the JVM's Hadoop ``FileSystem``."""

    def __init__(self, spark: Any, uri: str) -> None:
        self.spark = spark
        self.uri = uri.rstrip("/")
        jvm = spark.sparkContext._jvm
        self._Path = jvm.org.apache.hadoop.fs.Path
        self._jvm = jvm
        self.fs = self._Path(self.uri).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        #: top-level tables written or found complete by this run (each analysis's own ones included)
        self.written: set[str] = set()

    def path(self, name: str) -> str:
        return f"{self.uri}/{name}"

    def exists(self, name: str) -> bool:
        found = bool(self.fs.exists(self._Path(self.path(name))))
        if found and not name.startswith("_") and "/" not in name and "." not in name:
            self.written.add(name)
        return found

    def delete(self, name: str) -> None:
        self.fs.delete(self._Path(self.path(name)), True)

    def write_json(self, name: str, data: Any) -> None:
        """Write ``name`` atomically (a temporary file renamed over it)."""
        tmp = self._Path(self.path(f"_tmp/{name}"))
        stream = self.fs.create(tmp, True)
        stream.write(bytearray(json.dumps(data, indent=2, ensure_ascii=False).encode()))
        stream.close()
        self.delete(name)
        self.fs.rename(tmp, self._Path(self.path(name)))

    def read_json(self, name: str) -> Any:
        if not self.exists(name):
            return None
        stream = self.fs.open(self._Path(self.path(name)))
        try:
            text = self._jvm.org.apache.commons.io.IOUtils.toString(stream, "UTF-8")
        finally:
            stream.close()
        return json.loads(text)

    def write_table(self, name: str, frame: Any) -> None:
        """Write a DataFrame as Parquet to ``_tmp/name`` and rename it to ``name`` when complete."""
        tmp = f"_tmp/{name}"
        if not name.startswith("_"):
            self.written.add(name.split("/")[0])
        frame.write.mode("overwrite").parquet(self.path(tmp))
        self.delete(name)
        parent = self._Path(self.path(name)).getParent()
        self.fs.mkdirs(parent)
        if not self.fs.rename(self._Path(self.path(tmp)), self._Path(self.path(name))):
            raise OSError(f"cannot rename {self.path(tmp)} to {self.path(name)}")
