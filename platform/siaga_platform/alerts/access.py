"""Who may answer an alert, at which escalation step (the one place of this rule).

- The regency's staff (operator, head of office) acknowledge and silence their own alerts at
  any step: the alert is theirs first.
- A province supervisor acknowledges an alert of a regency of their province once it has been
  escalated to the province (step 1 or more). Before that the office has its own minutes to
  answer; a supervisor who acknowledged earlier would stop the escalation meant to reach them.
- A platform admin acknowledges once it reached the platform (step 2, national).
- Silencing stays with the regency: a silence mutes the office's own reminders.
"""

from __future__ import annotations

from siaga_platform.alerts.models import Alert
from siaga_platform.auth.principal import TENANT_ROLES, Principal, Role
from siaga_platform.errors import Conflict, NotFound

#: The escalation step from which a role outside the regency may acknowledge.
STEP_FOR_ROLE = {Role.SUPERVISOR_PROVINSI: 1, Role.ADMIN_PLATFORM: 2}

NOT_YOURS = "Peringatan tidak ditemukan atau bukan wilayah Anda."


def is_regency_staff(principal: Principal, alert: Alert) -> bool:
    return principal.role in TENANT_ROLES and principal.tenant_id == alert.tenant_id


def may_acknowledge(principal: Principal, alert: Alert) -> bool:
    """Whether the acknowledge form is offered to ``principal`` (same rule as the check)."""
    try:
        check_acknowledge(principal, alert)
    except (Conflict, NotFound):
        return False
    return True


def check_acknowledge(principal: Principal, alert: Alert) -> None:
    if is_regency_staff(principal, alert):
        return
    if principal.role is Role.SUPERVISOR_PROVINSI:
        if alert.tenant_id not in principal.province_tenant_ids:
            raise NotFound(NOT_YOURS)
    elif principal.role is not Role.ADMIN_PLATFORM:
        raise NotFound(NOT_YOURS)
    step = STEP_FOR_ROLE[principal.role]
    if alert.escalation_step < step:
        raise Conflict(
            "Peringatan ini belum dieskalasi ke provinsi; petugas kabupaten/kota menanggapinya "
            "lebih dulu."
            if step == 1
            else "Peringatan ini belum dieskalasi ke tingkat nasional; supervisor provinsi "
            "dan petugas kabupaten/kota menanggapinya lebih dulu."
        )


def check_silence(principal: Principal, alert: Alert) -> None:
    if not is_regency_staff(principal, alert):
        raise NotFound(NOT_YOURS)
