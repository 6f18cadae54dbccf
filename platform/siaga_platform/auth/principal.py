from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    OPERATOR = "operator"
    KEPALA_DINAS = "kepala_dinas"
    SUPERVISOR_PROVINSI = "supervisor_provinsi"
    ADMIN_PLATFORM = "admin_platform"


#: Roles held within one regency office; the others are held for a province or the platform.
TENANT_ROLES = frozenset({Role.OPERATOR, Role.KEPALA_DINAS})


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in person as Siaga's local membership table allows them to act.

    Passed explicitly to services; never read from a global.
    """

    subject: str
    display_name: str
    role: Role
    tenant_id: uuid.UUID | None = None
    tenant_code: str | None = None
    province_code: str | None = None
    #: For a supervisor: the explicit list of the province's tenants.
    province_tenant_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def home_path(self) -> str:
        if self.role in TENANT_ROLES and self.tenant_code:
            return f"/wilayah/{self.tenant_code}"
        if self.role is Role.SUPERVISOR_PROVINSI and self.province_code:
            return f"/provinsi/{self.province_code}"
        return "/nasional"

    def can_read_tenant(self, tenant_id: uuid.UUID, province_code: str) -> bool:
        if self.role is Role.ADMIN_PLATFORM:
            return True
        if self.role is Role.SUPERVISOR_PROVINSI:
            return province_code == self.province_code and tenant_id in self.province_tenant_ids
        return tenant_id == self.tenant_id

    def can_read_province(self, province_code: str) -> bool:
        if self.role is Role.ADMIN_PLATFORM:
            return True
        return self.role is Role.SUPERVISOR_PROVINSI and province_code == self.province_code
