"""Stored blobs of a stage: a tagged JSON header, then a little-endian float16 matrix.

Layout: 4-byte magic, 1-byte format version, 3 padding bytes, uint32 length of the JSON header,
the JSON (space-padded to an even length so the float16 values start on an even offset), then
the matrix values. Stages that store vectors (``claim_vectors``, ``narratives``) each have their
own magic; a blob read with the wrong one fails with a ``ValueError`` that says why.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["pack_blob", "unpack_blob"]

_HEADER = struct.Struct("<4sBxxxI")  # magic, format version, padding, length of the JSON header
_FORMAT = 1


def pack_blob(magic: bytes, header: Mapping[str, Any], matrix: np.ndarray) -> bytes:
    """``magic`` header, compact JSON of ``header``, then ``matrix`` as little-endian float16."""
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (len(text) % 2)  # float16 values start on an even offset
    values = np.ascontiguousarray(matrix, dtype="<f2")
    return _HEADER.pack(magic, _FORMAT, len(text)) + text + values.tobytes()


def unpack_blob(data: bytes, magic: bytes, what: str) -> tuple[dict[str, Any], np.ndarray]:
    """The JSON header and the flat float16 values of a blob written by :func:`pack_blob`."""
    if len(data) < _HEADER.size:
        raise ValueError(f"{what}: blob shorter than its header")
    found, version, length = _HEADER.unpack_from(data)
    if found != magic or version != _FORMAT:
        raise ValueError(f"{what}: not a format-{_FORMAT} {magic.decode()} blob (magic {found!r}, version {version})")
    header = json.loads(data[_HEADER.size:_HEADER.size + length])
    return header, np.frombuffer(data, dtype="<f2", offset=_HEADER.size + length)
