from __future__ import annotations

import pytest

from tests.fixtures.keycloak import KeycloakServer


@pytest.fixture(scope="session")
def keycloak() -> KeycloakServer:
    return KeycloakServer.from_environment()
