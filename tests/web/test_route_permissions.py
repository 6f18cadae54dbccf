"""Every route declares the permission it needs (or is explicitly public); default deny."""

from __future__ import annotations

from fastapi import APIRouter

from siaga_platform.auth.permissions import ROLE_PERMISSIONS, Permission
from siaga_platform.auth.principal import Role
from siaga_platform.config import Settings
from siaga_web.app import create_app
from siaga_web.permissions_table import route_permissions


def test_every_route_declares_a_permission() -> None:
    table = route_permissions(create_app(Settings()))
    assert len(table) >= 15
    missing = [route for route, permission in table.items() if permission is None]
    assert missing == []
    assert table["GET /provinsi/{code}"] == Permission.VIEW_PROVINCE.value
    assert table["GET /wilayah/{code}"] == Permission.VIEW_TENANT.value


def test_a_route_without_a_permission_is_caught() -> None:
    app = create_app(Settings())
    forgotten = APIRouter()

    @forgotten.get("/lupa")
    async def no_permission_declared() -> dict[str, str]:
        return {}

    app.include_router(forgotten)
    assert route_permissions(app)["GET /lupa"] is None


def test_supervisors_and_operators_cannot_provision() -> None:
    for role in (Role.OPERATOR, Role.KEPALA_DINAS, Role.SUPERVISOR_PROVINSI):
        assert Permission.PROVISION_TENANT not in ROLE_PERMISSIONS[role]
        assert Permission.VIEW_NATIONAL not in ROLE_PERMISSIONS[role]
    assert Permission.VIEW_PROVINCE not in ROLE_PERMISSIONS[Role.OPERATOR]
