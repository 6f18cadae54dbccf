"""Who may do what with elections (the permission table holds the roles' rights).

- Setting an election day: a platform admin (national, or a regional one anywhere) or a
  province supervisor for their own province and its regencies only.
- Seeing an election's page: whoever may read the province (a regional election) or the
  nation (a national one); a supervisor sees a national election's page restricted to their
  province's regencies.
- The letters to renew and the bulk renewal: the staff of that regency only.
"""

from __future__ import annotations

import uuid

from siaga_platform.auth.permissions import Permission, has_permission
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.elections.models import Election
from siaga_platform.errors import Forbidden, NotFound

NOT_FOUND = "Pemilihan tidak ditemukan."


def can_create(principal: Principal, province_code: str | None) -> bool:
    if not has_permission(principal, Permission.MANAGE_ELECTIONS):
        return False
    if principal.role is Role.ADMIN_PLATFORM:
        return True
    return province_code is not None and principal.can_read_province(province_code)


def check_create(principal: Principal, province_code: str | None) -> None:
    if not can_create(principal, province_code):
        raise Forbidden("Anda tidak berwenang menetapkan pemilihan untuk wilayah ini.")


def check_view(principal: Principal, election: Election) -> None:
    """A regional election is the province's (and the platform's); a national one is read by
    the platform and, for their province, by a supervisor. Others: not found."""
    if principal.role is Role.ADMIN_PLATFORM:
        return
    if principal.role is Role.SUPERVISOR_PROVINSI and (
        election.province_code is None or principal.can_read_province(election.province_code)
    ):
        return
    raise NotFound(NOT_FOUND)


def check_regency_staff(principal: Principal) -> uuid.UUID:
    """The letters of a regency are for its own office's staff (names, even masked): the
    regency is the principal's own, never one named by the caller."""
    if principal.tenant_id is None or not has_permission(principal, Permission.MANAGE_LETTERS):
        raise Forbidden("Daftar ini hanya untuk petugas kabupaten/kota yang bersangkutan.")
    return principal.tenant_id
