"""The ORM wall: every ORM statement is filtered to the unit of work's tenants.

- ``do_orm_execute`` adds ``with_loader_criteria(TenantScoped, tenant_id IN scope)`` to every ORM
  select, update and delete (this also covers joins, eager and lazy loads and ``session.get``).
- ``before_flush`` stamps ``tenant_id`` on new rows and refuses rows outside the write scope.
- ``after_begin`` writes the scope into PostgreSQL's settings for the RLS policies.

Core ``text()`` bypasses this wall, so raw SQL on tenant tables lives only in repositories
(a test greps for it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import any_, event, inspect, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria

from siaga_platform.db.base import AppendOnly
from siaga_platform.db.uuid_array import UuidArray, UuidArrayType
from siaga_platform.tenancy.models import TenantScoped
from siaga_platform.tenancy.rls import write_scope_settings
from siaga_platform.tenancy.scope import (
    TenantScopeMissing,
    TenantScopeViolation,
    scope_of,
)

_NO_TENANT: tuple[uuid.UUID, ...] = ()

#: Execution option for a statement that probes an index once per regency (a correlated
#: sub-select): the scope is still checked, as a row filter the planner cannot make an index
#: condition. As an index condition a 514-id array is set up again on every probe: 1,028
#: probes took 48 ms of the national page instead of 15.
SCOPE_AS_ROW_FILTER = "siaga_scope_as_row_filter"


def _is_tenant_class(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, TenantScoped)


@lru_cache(maxsize=1024)
def _criteria_for(ids: frozenset[uuid.UUID], dialect_name: str, row_filter: bool = False) -> Any:
    """One criteria option per scope, built once: a national scope is 514 ids, which were
    sorted and sent as an array for every statement of the page (~50 ms of the national page).
    A scope's id set is a frozenset that hashes once, so finding it here is cheap."""
    return _criteria(tuple(sorted(ids)), dialect_name, row_filter)


def _criteria(ids: tuple[uuid.UUID, ...], dialect_name: str = "", row_filter: bool = False) -> Any:
    if len(ids) == 1:
        # The common case, one tenant: a plain equality is compiled once and cached, where
        # IN (...) is re-rendered for every statement.
        (only,) = ids
        return with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == only, include_aliases=True
        )
    if dialect_name == "postgresql" and ids:
        # A province or the nation: one array parameter (PostgreSQL hashes it), instead of an
        # IN list rendered, sent and planned with hundreds of parameters for every statement.
        # The array is rendered once per scope (db/uuid_array.py), not per statement. (Not
        # its text cast in SQL: under a prepared statement's generic plan the cast is not
        # folded, and the server parsed the 514 ids again for every row: 29 s a page.)
        scope_ids = UuidArray(ids)
        if row_filter:
            return with_loader_criteria(
                TenantScoped,
                lambda cls: (cls.tenant_id == any_(type_coerce(scope_ids, UuidArrayType()))).is_(
                    True
                ),
                include_aliases=True,
            )
        return with_loader_criteria(
            TenantScoped,
            lambda cls: cls.tenant_id == any_(type_coerce(scope_ids, UuidArrayType())),
            include_aliases=True,
        )
    return with_loader_criteria(
        TenantScoped,
        lambda cls: cls.tenant_id.in_(ids),
        include_aliases=True,
    )


@lru_cache(maxsize=1)
def _tenant_table_names() -> frozenset[str]:
    names: set[str] = set()
    for cls in _all_subclasses(TenantScoped):
        mapper: Any = inspect(cls, raiseerr=False)
        if mapper is not None:
            names.add(mapper.local_table.name)
    return frozenset(names)


def _all_subclasses(cls: type) -> list[type]:
    found: list[type] = []
    sub: type
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def _filter_by_scope(state: ORMExecuteState) -> None:
    touches_tenant_table = any(_is_tenant_class(m.class_) for m in state.all_mappers)
    scope = scope_of(state.session)
    # Core statements on a tenant Table (fast bulk inserts) name no mapper: check the table.
    table = getattr(state.statement, "table", None)
    core_tenant_table = (
        not touches_tenant_table
        and getattr(table, "name", None) in _tenant_table_names()
        and (state.is_insert or state.is_update or state.is_delete)
    )
    if core_tenant_table and not state.is_insert:
        raise TenantScopeViolation("update/delete tenant tables through the ORM, not Core")
    if state.is_insert:
        if touches_tenant_table or core_tenant_table:
            _check_bulk_insert(state)
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if scope is None:
        if touches_tenant_table:
            raise TenantScopeMissing("no tenant scope in this unit of work: refused")
        # Still close nested loads (joined/eager) of tenant tables from registry queries.
        state.statement = state.statement.options(_criteria(_NO_TENANT))
        return
    allowed = scope.read_tenant_ids if state.is_select else scope.write_tenant_ids
    dialect = state.session.get_bind().dialect.name
    row_filter = bool(state.execution_options.get(SCOPE_AS_ROW_FILTER))
    state.statement = state.statement.options(_criteria_for(allowed, dialect, row_filter))


def _check_bulk_insert(state: ORMExecuteState) -> None:
    scope = scope_of(state.session)
    if scope is None:
        raise TenantScopeMissing("no tenant scope in this unit of work: refused")
    params = state.parameters
    if params:
        rows: Iterable[Any] = params if isinstance(params, list) else [params]
        tenant_ids = [row.get("tenant_id") if isinstance(row, dict) else None for row in rows]
    else:
        # insert(...).values(...) carries its values in the statement: one row as
        # ``tenant_id``, many rows as ``tenant_id_m0``, ``tenant_id_m1``, ...
        compiled = state.statement.compile().params  # type: ignore[attr-defined]
        tenant_ids = [
            value
            for key, value in compiled.items()
            if key == "tenant_id" or (key.startswith("tenant_id_m") and key[11:].isdigit())
        ] or [None]
    for tenant_id in tenant_ids:
        if tenant_id not in scope.write_tenant_ids:
            raise TenantScopeViolation("insert of a row outside the write scope: refused")


def _check_writes(session: Session, _flush_context: Any, _instances: Any) -> None:
    scope = scope_of(session)
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if scope is None:
            raise TenantScopeMissing("no tenant scope in this unit of work: refused")
        if obj.tenant_id is None:
            tenant_id = scope.single_write_tenant
            if tenant_id is None:
                raise TenantScopeViolation(
                    f"{type(obj).__name__}: set tenant_id, this scope writes several tenants"
                )
            obj.tenant_id = tenant_id
        elif obj.tenant_id not in scope.write_tenant_ids:
            raise TenantScopeViolation(f"{type(obj).__name__}: row of another tenant refused")
    for obj in chain(session.dirty, session.deleted):
        if isinstance(obj, AppendOnly) and (obj in session.deleted or session.is_modified(obj)):
            raise TenantScopeViolation(f"{type(obj).__name__} is append-only")
        if not isinstance(obj, TenantScoped):
            continue
        if scope is None:
            raise TenantScopeMissing("no tenant scope in this unit of work: refused")
        history = inspect(obj).attrs.tenant_id.history
        touched = {obj.tenant_id, *history.deleted}
        if not touched <= scope.write_tenant_ids:
            raise TenantScopeViolation(f"{type(obj).__name__}: row of another tenant refused")


def _set_database_scope(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    write_scope_settings(connection, scope_of(session), fresh_transaction=True)


def install_tenant_wall(session_class: type[Session]) -> None:
    event.listen(session_class, "do_orm_execute", _filter_by_scope)
    event.listen(session_class, "before_flush", _check_writes)
    event.listen(session_class, "after_begin", _set_database_scope)
