from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from siaga_platform.notify.message import Notice, compose_notice

OCCURRED_AT = datetime(2026, 12, 2, 5, 5, tzinfo=UTC)


def a_notice(**overrides: Any) -> Notice:
    values: dict[str, Any] = {
        "subject": "Blanko KTP-el hampir habis — Kota Makassar",
        "level": "perhatikan",
        "lines": ["Sisa blanko 40 lembar, cukup ± 2 hari kerja.", "Ajukan permintaan ke pusat."],
        "idempotency_key": "alert-7f3a:opened:1",
        "occurred_at": OCCURRED_AT,
        "zone": "WITA",
        "facts": {"Kabupaten/kota": "Makassar (73.71)", "Sisa blanko": "40"},
        "link": "https://siaga.example.go.id/wilayah/73.71/stok",
    }
    values.update(overrides)
    return compose_notice(**values)
