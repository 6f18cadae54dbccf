"""The OpenAPI schema of the JSON API, saying what the app really answers.

FastAPI's default documents every route (HTML pages included) as JSON, a 422 body shaped as its
own error list, and no other error. Integrators and the standing schemathesis run read this
schema, so it lists only the JSON routes, the app's one error body ``{"detail", "field"}`` and
each error status a route can answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

JSON_PATHS = ("/api/", "/healthz", "/readyz")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "description": "Every refusal: a sentence in Bahasa Indonesia saying what to do, and the "
    "input field at fault when there is one.",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}

DESCRIPTIONS = {
    400: "The body cannot be read at all (not JSON, or a broken form).",
    401: "Not signed in, or the device token is unknown or revoked.",
    403: "Signed in without the permission this needs, or a form from another site.",
    404: "No such record within your reach (another regency's records answer the same).",
    409: "The record changed since it was read, or the action conflicts with its state.",
    413: "The request body is larger than this route accepts.",
    422: "The input is not valid; `field` names the part at fault.",
    429: "Too many requests; wait as `Retry-After` says.",
    503: "The database is unavailable for a moment; retry after `Retry-After` seconds.",
}


def build_schema(app: FastAPI) -> dict[str, Any]:
    # Route contexts: each route as included, with its router's prefix and dependencies.
    routes = [route for route in iter_route_contexts(app.routes) if _is_json(route)]
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=(app.description or "")
        + "\n\nThe JSON API only; the pages for people are HTML and not listed here.",
        routes=routes,
    )
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    by_operation = {
        (route.path_format or "", method.lower()): route
        for route in routes
        for method in route.methods or ()
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            route = by_operation[(path, method)]
            responses = operation.setdefault("responses", {})
            for status in error_statuses(route, method.upper()):
                responses[str(status)] = _error_response(status)
    return schema


def error_statuses(route: RouteContext, method: str) -> list[int]:
    """The error statuses ``route`` can answer, from what it declares: how callers are known
    (public, a device token, a person), whether it takes input, a path id, a body."""
    marks = set(_permission_marks(route.dependant))
    takes_input = bool(
        route.dependant.path_params
        or route.dependant.query_params
        or route.dependant.body_params
        or route.dependant.header_params
    )
    statuses: set[int] = {503}
    if "public" not in marks:
        statuses |= {401, 429}
        if "device-token" not in marks:
            statuses.add(403)
    if route.dependant.path_params:
        statuses.add(404)
    if takes_input:
        statuses.add(422)
    if route.dependant.body_params:
        statuses.add(400)  # a body that cannot be parsed at all
    if method in UNSAFE_METHODS:
        statuses |= {413, 422}
        if "device-token" not in marks:
            statuses |= {404, 409}
    return sorted(statuses)


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def _is_json(route: RouteContext) -> bool:
    return (
        isinstance(route.original_route, APIRoute)
        and route.include_in_schema
        and (route.path_format or "").startswith(JSON_PATHS)
    )


def _permission_marks(dependant: Dependant) -> Iterator[str]:
    """The ``permission`` marks on a route's dependencies (``requires``, ``Public``, the
    device-token marker), however deeply they are nested."""
    mark = getattr(dependant.call, "permission", None)
    if isinstance(mark, str):
        yield mark
    elif mark is not None:
        yield "person"
    for sub in dependant.dependencies:
        yield from _permission_marks(sub)
