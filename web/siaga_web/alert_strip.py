"""The strip of firing alerts at the top of the regency home and of the province page
(``partials/alert_strip.html``): shared by three pages, so it lives beside them, not in one of
their route modules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts import service
from siaga_platform.alerts.models import Alert
from siaga_web import clock
from siaga_web.labels import ALERT_LEVELS, ALERT_RULE_LABELS

STRIP_SIZE = 5


@dataclass
class Strip:
    """The firing alerts at the top of a page, Gawat first, at most ``STRIP_SIZE``."""

    alerts: list[Alert]
    more: int
    link: str  # the alerts page
    tenants: dict[uuid.UUID, Any] = field(default_factory=dict)  # registry rows
    #: The regency's name beside each alert (the province page), or not (its own home).
    with_names: bool = False

    def detail(self, alert: Alert) -> str:
        return f"/wilayah/{self.tenants[alert.tenant_id].code}/peringatan/{alert.id}"


async def strip(
    db: AsyncSession, *, link: str, tenants_in: Sequence[Any], with_names: bool
) -> dict[str, Any]:
    """Values for ``partials/alert_strip.html`` from the alerts in the session's scope."""
    by_id = {t.id: t for t in tenants_in}
    firing = await service.firing_alerts(db, clock.now(), by_id)
    return {
        "alert_strip": Strip(
            firing[:STRIP_SIZE], len(firing) - STRIP_SIZE, link, by_id, with_names
        ),
        "strip_levels": {k: (icon, word, css) for k, (icon, word, css) in ALERT_LEVELS.items()},
        "strip_rules": ALERT_RULE_LABELS,
    }
