"""Reads, from the app itself, which permission each route declares (default deny)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount


def _declared(dependant: Dependant) -> list[str]:
    found = []
    for sub in dependant.dependencies:
        permission: Any = getattr(sub.call, "permission", None)
        if permission is not None:
            found.append(str(permission))
        found.extend(_declared(sub))
    return found


def _flatten(routes: Sequence[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        # Newer FastAPI keeps included routers as one entry that wraps the original router
        # (we include them without a prefix, so their routes' paths are complete).
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flatten(included.routes)
        else:
            yield route


def route_permissions(app: FastAPI) -> dict[str, str | None]:
    """``"GET /path"`` → the permission it declares, or None when it declares none."""
    table: dict[str, str | None] = {}
    for route in _flatten(app.router.routes):
        if isinstance(route, Mount):
            table[f"MOUNT {route.path}"] = (
                "public (static files)" if route.name == "static" else None
            )
            continue
        path = getattr(route, "path", repr(route))
        declared = _declared(route.dependant) if isinstance(route, APIRoute) else []
        for method in sorted(getattr(route, "methods", None) or {"*"}):
            if method != "HEAD":
                table[f"{method} {path}"] = ", ".join(sorted(set(declared))) or None
    return table
