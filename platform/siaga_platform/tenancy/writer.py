"""Who may write a regency's rows: its own staff, in its own tenant (applications, stock,
hardware and letters all ask here)."""

from __future__ import annotations

import uuid

from siaga_platform.auth.principal import TENANT_ROLES, Principal
from siaga_platform.errors import Forbidden


def writer_tenant(principal: Principal) -> uuid.UUID:
    """Only the regency office's own staff change its applications."""
    if principal.role not in TENANT_ROLES or principal.tenant_id is None:
        raise Forbidden("Hanya petugas kabupaten/kota ini yang dapat mengubah permohonan.")
    return principal.tenant_id
