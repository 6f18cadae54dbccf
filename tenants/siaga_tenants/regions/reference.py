"""Reading the shipped code list (data/wilayah.csv, MIT licence in data/LICENSE-wilayah.txt)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str
    level: str  # provinsi | kabupaten | kota | kecamatan
    name: str
    population: int | None


def read_wilayah() -> list[RegionRow]:
    text = resources.files("siaga_tenants").joinpath("data/wilayah.csv").read_text("utf-8")
    rows = []
    for record in csv.DictReader(io.StringIO(text)):
        total = record.get("penduduk_total") or ""
        rows.append(
            RegionRow(
                code=record["kode"],
                level=record["tingkat"],
                name=record["nama"],
                population=int(total) if total.strip() else None,
            )
        )
    return rows
