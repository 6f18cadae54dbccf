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
    VIEW_APPLICATIONS = "applications:view"
    EDIT_APPLICATIONS = "applications:edit"
    OPEN_APPLICATION_RECORD = "applications:open-record"
    VIEW_HARDWARE = "hardware:view"
    MANAGE_HARDWARE = "hardware:manage"
    VIEW_STOCK = "stock:view"
    MANAGE_STOCK = "stock:manage"
    DECIDE_LOANS = "stock:decide-loans"
    VIEW_LETTERS = "letters:view"
    MANAGE_LETTERS = "letters:manage"
    LETTER_SETTINGS = "letters:settings"
    ACKNOWLEDGE_INCIDENTS = "hardware:acknowledge"
    VIEW_ALERTS = "alerts:view"
    #: Acknowledge (and, at the regency, silence) an alert; who may answer which step is the
    #: alerts domain's rule (alerts/access.py): supervisors once it reached the province,
    #: platform admins once it reached them.
    ACKNOWLEDGE_ALERTS = "alerts:acknowledge"
    #: The rules' thresholds: the head of office for the regency, the supervisor for the
    #: province-wide defaults.
    ALERT_SETTINGS = "alerts:settings"
    #: Set an election day (national: platform admins; regional: the province's supervisor).
    MANAGE_ELECTIONS = "elections:manage"


# What the staff of a regency office do in their own office.
_OFFICE_WORK = frozenset(
    {
        Permission.VIEW_APPLICATIONS,
        Permission.EDIT_APPLICATIONS,
        Permission.OPEN_APPLICATION_RECORD,
        Permission.VIEW_HARDWARE,
        Permission.MANAGE_HARDWARE,
        Permission.VIEW_STOCK,
        Permission.MANAGE_STOCK,
        Permission.VIEW_LETTERS,
        Permission.MANAGE_LETTERS,
        Permission.VIEW_ALERTS,
        Permission.ACKNOWLEDGE_ALERTS,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset({Permission.VIEW_SELF, Permission.VIEW_TENANT, *_OFFICE_WORK}),
    # The head of office signs the letters: the signer and the number format are theirs to set.
    Role.KEPALA_DINAS: frozenset(
        {
            Permission.VIEW_SELF,
            Permission.VIEW_TENANT,
            Permission.LETTER_SETTINGS,
            Permission.ALERT_SETTINGS,
            *_OFFICE_WORK,
        }
    ),
    # Supervisors read their province (applications masked) and change nothing there.
    Role.SUPERVISOR_PROVINSI: frozenset(
        {
            Permission.VIEW_SELF,
            Permission.VIEW_TENANT,
            Permission.VIEW_PROVINCE,
            Permission.VIEW_APPLICATIONS,
            Permission.VIEW_HARDWARE,
            Permission.VIEW_STOCK,
            Permission.VIEW_LETTERS,
            # Loans between the province's regencies are the supervisor's to approve.
            Permission.DECIDE_LOANS,
            # A note on a regency's incident (the supervisor changes nothing else there).
            Permission.ACKNOWLEDGE_INCIDENTS,
            Permission.VIEW_ALERTS,
            Permission.ACKNOWLEDGE_ALERTS,  # alerts escalated to the province
            Permission.ALERT_SETTINGS,  # the province-wide defaults
            Permission.MANAGE_ELECTIONS,  # regional elections of the province
        }
    ),
    # Platform admins run the platform; they read a regency's applications masked, like a
    # supervisor, and do not do the office's work.
    Role.ADMIN_PLATFORM: frozenset(Permission)
    - _OFFICE_WORK
    - {
        Permission.DECIDE_LOANS,
        Permission.LETTER_SETTINGS,
        Permission.ACKNOWLEDGE_INCIDENTS,
        Permission.ALERT_SETTINGS,
    }
    | {
        Permission.VIEW_APPLICATIONS,
        Permission.VIEW_ALERTS,
        Permission.ACKNOWLEDGE_ALERTS,  # alerts escalated to the platform (national)
        Permission.VIEW_HARDWARE,
        Permission.VIEW_STOCK,
        Permission.VIEW_LETTERS,
    },
}


def has_permission(principal: Principal, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(principal.role, frozenset())
