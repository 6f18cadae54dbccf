"""A standing guard on the JSON API: schemathesis sends valid and invalid requests, generated
from the app's own OpenAPI schema with a fixed seed, to a live server, as an operator and as
anonymous. No answer may be a server error, and every answer must be what the schema says
(status, content type, body, headers)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.fixtures.web import build_app, csrf_from, live_app

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
EXAMPLES_PER_OPERATION = 12  # per generation mode: ~400 requests per role
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass
class Findings:
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def _cases(schema: schemathesis.BaseSchema) -> Iterator[tuple[str, st.SearchStrategy[object]]]:
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            yield f"{operation.label} [{mode.value}]", operation.as_strategy(generation_mode=mode)


def fuzz(base_url: str, session: requests.Session, headers: dict[str, str]) -> Findings:
    """Runs in a thread: the server answers on the test's event loop meanwhile."""
    raw = session.get(f"{base_url}/api/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(raw)
    findings = Findings()
    for label, strategy in _cases(schema):
        try:
            _examples(label, strategy, base_url, session, headers, findings)()
        except Unsatisfiable:  # no invalid request exists (an operation without input)
            continue
    return findings


def _examples(
    label: str,
    strategy: st.SearchStrategy[object],
    base_url: str,
    session: requests.Session,
    headers: dict[str, str],
    findings: Findings,
) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,  # the fixed seed: the same requests on every run
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        findings.statuses[response.status_code] = findings.statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, FailureGroup) as failure:  # collected, then reported at once
            lines = [line.strip() for line in str(failure).splitlines() if line.strip()]
            summary = [line for line in lines if line.startswith(("- ", "Received", "curl"))]
            findings.failures.append(f"{label}: {' | '.join(summary[:8])}")

    return check


async def _operator_session(base_url: str) -> tuple[requests.Session, dict[str, str]]:
    async with httpx.AsyncClient(base_url=base_url) as client:
        page = await client.get("/masuk")
        signed_in = await client.post(
            "/masuk/dev", data={"subject": OPERATOR, "csrf_token": csrf_from(page.text)}
        )
        assert signed_in.status_code == 303, signed_in.text
        form = await client.get("/wilayah/62.12/permohonan/baru")
        token = csrf_from(form.text)
        cookies = dict(client.cookies)
    session = requests.Session()
    session.cookies.update(cookies)
    return session, {"X-CSRF-Token": token}


@pytest.mark.parametrize("who", ["operator", "anonymous"])
async def test_the_json_api_never_fails_and_answers_as_its_schema_says(
    db: ScratchDatabase, who: str
) -> None:
    await seed(db)
    # The per-principal API limit would answer most generated requests 429 (documented, but
    # then the routes behind it go untested).
    async with live_app(build_app(db, api_requests_per_minute=1_000_000)) as base_url:
        if who == "operator":
            session, headers = await _operator_session(base_url)
        else:
            session, headers = requests.Session(), {}
        findings = await asyncio.to_thread(fuzz, base_url, session, headers)
    requests_sent = sum(findings.statuses.values())
    assert requests_sent >= 200, findings.statuses
    if who == "operator":  # signed in, the fuzz reaches the routes, not only the 401 wall
        assert any(200 <= status < 300 for status in findings.statuses), findings.statuses
    assert not findings.failures, "\n".join(_distinct(findings.failures)[:30])


def _distinct(lines: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for line in lines:
        seen.setdefault(re.sub(r"\d+", "#", line)[:160], line)
    return list(seen.values())
