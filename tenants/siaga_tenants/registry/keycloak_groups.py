"""Keeping Keycloak's groups in step with the tenant registry: ``/<province>/<regency>``.

Run by ``siaga keycloak sync`` with the realm's service-account client (``siaga-admin``);
creates what is missing, never deletes (a removed tenant's group may still hold people).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from keycloak import KeycloakAdmin
from keycloak.exceptions import KeycloakGetError

from siaga_platform.config import Settings


@dataclass
class GroupSync:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def admin_client(settings: Settings) -> KeycloakAdmin:
    secret = settings.keycloak_admin_client_secret
    if not settings.keycloak_server_url or secret is None:
        raise ValueError(
            "set SIAGA_KEYCLOAK_SERVER_URL and SIAGA_KEYCLOAK_ADMIN_CLIENT_SECRET "
            "(the service-account client that may manage groups)"
        )
    return KeycloakAdmin(
        server_url=settings.keycloak_server_url,
        realm_name=settings.keycloak_realm,
        client_id=settings.keycloak_admin_client_id,
        client_secret_key=secret.get_secret_value(),
        timeout=settings.keycloak_timeout_seconds,
    )


def _group_by_path(admin: KeycloakAdmin, path: str) -> dict[str, Any] | None:
    try:
        group = admin.get_group_by_path(path)
    except KeycloakGetError as error:
        if error.response_code == 404:
            return None
        raise
    return group if isinstance(group, dict) and group.get("id") else None


def _ensure(admin: KeycloakAdmin, name: str, parent_id: str | None, report: GroupSync) -> str:
    path = f"/{name}" if parent_id is None else None
    if parent_id is not None:
        parent = admin.get_group(parent_id)
        path = f"{parent['path']}/{name}"
    assert path is not None
    found = _group_by_path(admin, path)
    if found is not None:
        report.existing.append(path)
        return str(found["id"])
    created = admin.create_group({"name": name}, parent=parent_id, skip_exists=True)
    report.created.append(path)
    return str(created or _group_by_path(admin, path)["id"])  # type: ignore[index]


def sync_groups(admin: KeycloakAdmin, tenant_codes: Iterable[str]) -> GroupSync:
    report = GroupSync()
    province_ids: dict[str, str] = {}
    for code in sorted(tenant_codes):
        province = code[:2]
        if province not in province_ids:
            province_ids[province] = _ensure(admin, province, None, report)
        _ensure(admin, code, province_ids[province], report)
    return report
