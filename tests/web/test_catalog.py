"""The English catalog: complete (every entry translated, none fuzzy), current (nothing the
templates and code mark for translation is missing from it), and really used: the main pages
in English carry none of the Indonesian UI words."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.auth.principal import Role
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_web.i18n import LANGUAGE_COOKIE
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed_whole_demo
from tests.fixtures.web import build_app, client_for, sign_in

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "web/siaga_web/locale/en/LC_MESSAGES/messages.po"


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale="en")


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    catalog = read_catalog(CATALOG)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"translate these in {CATALOG.name}: {untranslated}"
    assert not fuzzy, f"check and unflag these fuzzy entries: {fuzzy}"


def test_the_catalog_holds_every_string_the_sources_mark(tmp_path: Path) -> None:
    # The same extraction as `make messages`, so a new label without a translation fails here.
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-o",
            str(pot),
            "--no-location",
            str(ROOT),
        ]
    )
    extracted = {m.id for m in read_catalog(pot) if m.id}
    assert len(extracted) > 100, "the extraction found the templates and code"
    known = {m.id for m in read_catalog(CATALOG) if m.id}
    missing = sorted(str(i) for i in extracted - known)
    assert not missing, f"run `make messages` and translate: {missing}"


OPERATOR_MURA = demo_subject(Role.OPERATOR, "62.12")
SUPERVISOR_KALTENG = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
#: Indonesian words and phrases that only the interface prints (labels, headings, levels,
#: states): never a regency's name, a person's entry or an alert's stored summary, which are
#: data and stay Indonesian.
UI_WORDS = (
    "Gawat",
    "Perhatikan",
    "Baik",
    "Tidak ada data",
    "belum pernah",
    "Hari ini",
    "Terakhir aktif",
    "Belum ada perangkat",
    "set berfungsi",
    "siap ambil",
    "belum rekam",
    "Surat keterangan",
    "Stok blanko",
    "Perangkat perekaman",
    "Permohonan KTP-el",
    "Peringatan aktif",
    "Peringatan terbuka",
    "Ambang batas",
    "Menyala",
    "Ditanggapi",
    "Disenyapkan",
    "Tanggapi",
    "Kejadian terbuka",
    "Saran pinjaman",
    "Usulkan",
    "Cari",
    "Tampilkan",
    "Semua",
    "Sebelumnya",
    "Berikutnya",
    "halaman",
    "hari lalu",
    "jam lalu",
    "menit lalu",
)
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")
_UI_WORD = re.compile("|".join(rf"\b{re.escape(word)}\b" for word in UI_WORDS))


def visible_text(html: str) -> str:
    return " ".join(_TAG.sub(" ", _HIDDEN.sub(" ", html)).split())


@pytest.fixture
async def english(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed_whole_demo(db)
    # Alerts fire as the worker's evaluation finds them, so the alert pages have rows.
    await evaluate_all(db.session_factory, active_regencies, now=datetime.now(UTC))
    async with client_for(build_app(db)) as client:
        client.cookies.set(LANGUAGE_COOKIE, "en")  # what the language switch sets
        yield client


@pytest.mark.sqlite_only  # the words come from templates and the catalog, not the database
async def test_english_pages_carry_no_indonesian_interface_words(
    english: httpx.AsyncClient,
) -> None:
    pages = {
        OPERATOR_MURA: (
            "/wilayah/62.12",
            "/wilayah/62.12/permohonan",
            "/wilayah/62.12/peringatan",
            "/wilayah/62.12/stok",
            "/wilayah/62.12/suket",
        ),
        SUPERVISOR_KALTENG: ("/provinsi/62", "/provinsi/62/stok", "/provinsi/62/peringatan"),
    }
    leaks: dict[str, list[str]] = {}
    for subject, paths in pages.items():
        await sign_in(english, subject)
        for path in paths:
            page = await english.get(path)
            assert page.status_code == 200, path
            assert 'lang="en"' in page.text
            found = sorted(set(_UI_WORD.findall(visible_text(page.text))))
            if found:
                leaks[path] = found
    assert not leaks, f"Indonesian interface words on English pages: {leaks}"
