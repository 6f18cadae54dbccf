"""The scope is written into SET LOCAL statements (SET takes no bind parameters): only UUIDs
may reach them."""

from __future__ import annotations

import uuid

import pytest

from siaga_platform.tenancy.rls import (
    NATIONAL_SETTING,
    READ_SETTING,
    WRITE_SETTING,
    scope_statements,
)
from siaga_platform.tenancy.scope import TenantScope


def test_a_supervisor_scope_is_written_sorted_and_propagated() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    statements = scope_statements(TenantScope.read_only({b, a}))
    first, second = sorted([str(a), str(b)])
    assert "SET LOCAL citus.propagate_set_commands = 'local'" in statements
    assert f"SET LOCAL {READ_SETTING} = '{first},{second}'" in statements
    assert f"SET LOCAL {WRITE_SETTING} = ''" in statements
    assert f"SET LOCAL {NATIONAL_SETTING} = ''" in statements


def test_only_a_national_read_sets_the_national_flag_and_it_never_writes() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    statements = scope_statements(TenantScope.national({a, b}))
    assert f"SET LOCAL {NATIONAL_SETTING} = 'on'" in statements
    assert f"SET LOCAL {READ_SETTING} = '{','.join(sorted([str(a), str(b)]))}'" in statements
    assert f"SET LOCAL {WRITE_SETTING} = ''" in statements
    for scope in (TenantScope.single(a), TenantScope.read_only({a, b}), None):
        assert f"SET LOCAL {NATIONAL_SETTING} = ''" in scope_statements(scope)
    with pytest.raises(ValueError, match="only reads"):
        TenantScope(frozenset({a}), frozenset({a}), whole_nation=True)


def test_no_scope_writes_empty_settings() -> None:
    statements = scope_statements(None)
    assert f"{READ_SETTING} = ''" in statements and f"{WRITE_SETTING} = ''" in statements


def test_anything_but_a_uuid_is_refused() -> None:
    forged = TenantScope(
        read_tenant_ids=frozenset({"x'; RESET ROLE; --"}),  # type: ignore[arg-type]
        write_tenant_ids=frozenset(),
    )
    with pytest.raises(ValueError):
        scope_statements(forged)
