"""The one permission table: role × action. Default deny."""

from __future__ import annotations

from enum import StrEnum

from siaga_platform.auth.principal import Principal, Role


class Permission(StrEnum):
    VIEW_SELF = "self:view"
    VIEW_TENANT = "tenant:view"
    VIEW_PROVINCE = "province:view"
    VIEW_NATIONAL = "national:view"
    PROVISION_TENANT = "tenant:provision"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset({Permission.VIEW_SELF, Permission.VIEW_TENANT}),
    Role.KEPALA_DINAS: frozenset({Permission.VIEW_SELF, Permission.VIEW_TENANT}),
    Role.SUPERVISOR_PROVINSI: frozenset(
        {Permission.VIEW_SELF, Permission.VIEW_TENANT, Permission.VIEW_PROVINCE}
    ),
    Role.ADMIN_PLATFORM: frozenset(Permission),
}


def has_permission(principal: Principal, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(principal.role, frozenset())
