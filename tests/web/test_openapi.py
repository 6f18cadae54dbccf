"""The OpenAPI schema says what the app answers: the JSON routes only, the app's error body, and
the error statuses each route can give (the fuzz in test_api_fuzz.py holds answers to it)."""

from __future__ import annotations

from siaga_web.app import UNREADABLE_BODY
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.web import build_app, client_for


async def test_the_schema_lists_the_json_api_with_its_real_error_answers(
    db: ScratchDatabase,
) -> None:
    async with client_for(build_app(db)) as client:
        answer = await client.get("/api/openapi.json")
        assert answer.status_code == 200
        schema = answer.json()
        refused = await client.post("/api/v1/applications", json={"nik": "x"})
    paths = schema["paths"]
    assert all(path.startswith(("/api/", "/healthz", "/readyz")) for path in paths), list(paths)
    assert "/wilayah/{code}/permohonan" not in paths and "/api/v1/applications" in paths
    schemas = schema["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert set(schemas["Error"]["properties"]) == {"detail", "field"}
    create = paths["/api/v1/applications"]["post"]["responses"]
    for status in ("401", "403", "409", "413", "422", "429", "503"):
        body = create[status]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/Error"}, status
    assert "Retry-After" in create["429"]["headers"]
    detail = paths["/api/v1/devices/{device_id}"]["get"]["responses"]
    assert "404" in detail and "409" not in detail
    beat = paths["/api/v1/heartbeats"]["post"]["responses"]
    assert "401" in beat and "403" not in beat  # a device token, not a person's permission
    assert set(paths["/healthz"]["get"]["responses"]) == {"200", "503"}
    # What the schema promises is what a refusal looks like.
    assert refused.status_code in (401, 403) and set(refused.json()) <= {"detail", "field"}


async def test_an_unreadable_body_says_so(db: ScratchDatabase) -> None:
    async with client_for(build_app(db)) as client:
        answer = await client.post(
            "/api/v1/heartbeats",
            content=b"\x00{not json",
            headers={"content-type": "application/json", "x-device-token": "t"},
        )
    assert answer.status_code == 422, answer.text
    assert answer.json() == {"detail": UNREADABLE_BODY}
