"""Writes realm-siaga.json, the demo realm for the local Keycloak, from Siaga's demo data.

    python infra/keycloak/realm.py > infra/keycloak/realm-siaga.json

A test checks that the committed file equals this output, so realm and `demo seed` agree.
"""

from __future__ import annotations

import json
from typing import Any

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import DEMO_PASSWORD, demo_regencies, demo_users

REALM = "siaga"
WEB_CLIENT = "siaga-web"
WEB_CLIENT_SECRET = "siaga-web-dev-secret"  # noqa: S105 - the demo realm only
ADMIN_CLIENT = "siaga-admin"
ADMIN_CLIENT_SECRET = "siaga-admin-dev-secret"  # noqa: S105 - the demo realm only
DEV_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")

ROLE_DESCRIPTIONS = {
    Role.OPERATOR: "Operator pelayanan di kantor Disdukcapil atau kecamatan",
    Role.KEPALA_DINAS: "Kepala Dinas Dukcapil kabupaten/kota",
    Role.SUPERVISOR_PROVINSI: "Supervisor Disdukcapil Provinsi (membaca semua kabupaten/kota)",
    Role.ADMIN_PLATFORM: "Administrator platform Siaga",
}


def _mapper(name: str, kind: str, config: dict[str, str]) -> dict[str, Any]:
    return {"name": name, "protocol": "openid-connect", "protocolMapper": kind, "config": config}


def web_client() -> dict[str, Any]:
    return {
        "clientId": WEB_CLIENT,
        "name": "Siaga",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": WEB_CLIENT_SECRET,
        "standardFlowEnabled": True,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": False,
        "frontchannelLogout": False,
        "redirectUris": [f"{origin}/auth/callback" for origin in DEV_ORIGINS],
        "webOrigins": [],
        "attributes": {
            "pkce.code.challenge.method": "S256",
            "post.logout.redirect.uris": "##".join(f"{o}/masuk" for o in DEV_ORIGINS),
            "backchannel.logout.url": f"{DEV_ORIGINS[0]}/auth/backchannel-logout",
            "backchannel.logout.session.required": "true",
            "backchannel.logout.revoke.offline.tokens": "false",
        },
        "protocolMappers": [
            _mapper(
                "audience siaga-web",
                "oidc-audience-mapper",
                {
                    "included.client.audience": WEB_CLIENT,
                    "id.token.claim": "false",
                    "access.token.claim": "true",
                    "introspection.token.claim": "true",
                },
            ),
            _mapper(
                "groups",
                "oidc-group-membership-mapper",
                {
                    "claim.name": "groups",
                    "full.path": "true",
                    "id.token.claim": "true",
                    "access.token.claim": "true",
                    "userinfo.token.claim": "true",
                    "introspection.token.claim": "true",
                },
            ),
            _mapper(
                "realm roles",
                "oidc-usermodel-realm-role-mapper",
                {
                    "claim.name": "roles",
                    "multivalued": "true",
                    "jsonType.label": "String",
                    "id.token.claim": "true",
                    "access.token.claim": "true",
                    "userinfo.token.claim": "true",
                    "introspection.token.claim": "true",
                },
            ),
        ],
    }


def admin_client() -> dict[str, Any]:
    """The service account `siaga keycloak sync` uses to create tenant groups."""
    return {
        "clientId": ADMIN_CLIENT,
        "name": "Siaga group sync",
        "enabled": True,
        "protocol": "openid-connect",
        "publicClient": False,
        "clientAuthenticatorType": "client-secret",
        "secret": ADMIN_CLIENT_SECRET,
        "standardFlowEnabled": False,
        "implicitFlowEnabled": False,
        "directAccessGrantsEnabled": False,
        "serviceAccountsEnabled": True,
    }


def groups() -> list[dict[str, Any]]:
    province = demo_users()[0].scope
    return [
        {
            "name": province,
            "path": f"/{province}",
            "subGroups": [
                {"name": code, "path": f"/{province}/{code}", "subGroups": []}
                for code, _ in demo_regencies()
            ],
        }
    ]


def users() -> list[dict[str, Any]]:
    people = []
    for user in demo_users():
        first, _, last = user.display_name.partition(" ")
        entry: dict[str, Any] = {
            "id": user.subject,
            "username": user.username,
            "enabled": True,
            "email": f"{user.username}@demo.siaga.invalid",
            "emailVerified": True,
            "firstName": first,
            "lastName": last or first,
            "credentials": [{"type": "password", "value": DEMO_PASSWORD, "temporary": False}],
            "realmRoles": [user.role.value],
            "groups": [user.group_path] if user.group_path else [],
        }
        people.append(entry)
    people.append(
        {
            "username": f"service-account-{ADMIN_CLIENT}",
            "enabled": True,
            "serviceAccountClientId": ADMIN_CLIENT,
            "clientRoles": {"realm-management": ["manage-users", "view-users", "query-groups"]},
        }
    )
    return people


def realm() -> dict[str, Any]:
    return {
        "realm": REALM,
        "displayName": "Siaga (demo)",
        "enabled": True,
        "sslRequired": "external",
        "registrationAllowed": False,
        "resetPasswordAllowed": False,
        "rememberMe": False,
        "accessTokenLifespan": 300,
        "ssoSessionIdleTimeout": 8 * 3600,
        "ssoSessionMaxLifespan": 10 * 3600,
        "bruteForceProtected": True,
        "failureFactor": 30,
        "roles": {
            "realm": [{"name": role.value, "description": ROLE_DESCRIPTIONS[role]} for role in Role]
        },
        "groups": groups(),
        "clients": [web_client(), admin_client()],
        "users": users(),
    }


def render() -> str:
    return json.dumps(realm(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(render(), end="")
