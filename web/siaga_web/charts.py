"""Small server-rendered SVG charts: a few hundred bytes each, no script."""

from __future__ import annotations

from collections.abc import Sequence


def polyline_points(values: Sequence[float], width: int, height: int) -> str:
    """``values`` spread over ``width`` and scaled to ``height`` (0 at the bottom)."""
    if not values:
        return ""
    top = max(1.0, *values)
    step = width / max(1, len(values) - 1)
    return " ".join(
        f"{i * step:.0f},{height - value / top * height:.0f}" for i, value in enumerate(values)
    )
