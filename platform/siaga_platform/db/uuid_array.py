"""A fixed array of UUIDs sent to PostgreSQL as one pre-rendered parameter.

The ORM wall filters every statement of a province or national read with the scope's ids as
one ``uuid[]`` parameter. Sent as a list, SQLAlchemy processed and psycopg dumped all 514 ids
again for every statement (~70 ms of the national page's 14 statements). A scope renders its
array once (``UuidArray``); the dumper below hands psycopg those bytes, typed ``uuid[]``, so the
server plans it exactly as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from psycopg import adapters
from psycopg.adapt import Dumper
from sqlalchemy.types import UserDefinedType

_UUID_ARRAY_OID = 2951  # pg_type: _uuid


class UuidArray:
    """The ids in PostgreSQL's array text form, rendered once."""

    __slots__ = ("ids", "text")

    def __init__(self, ids: Iterable[uuid.UUID]) -> None:
        self.ids = tuple(ids)
        self.text = ("{" + ",".join(str(i) for i in self.ids) + "}").encode()

    def __repr__(self) -> str:  # statement logs: the count, not 514 ids
        return f"UuidArray({len(self.ids)} ids)"


class _UuidArrayDumper(Dumper):
    oid = _UUID_ARRAY_OID

    def dump(self, obj: UuidArray) -> bytes:
        return obj.text


adapters.register_dumper(UuidArray, _UuidArrayDumper)


class UuidArrayType(UserDefinedType[UuidArray]):
    """The SQL type of a ``UuidArray`` parameter: no per-element processing on the way out."""

    cache_ok = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "UUID[]"

    def bind_processor(self, dialect: Any) -> None:
        return None
