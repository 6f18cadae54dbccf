"""The alert pages through HTTP on both databases: a regency's list and an alert's timeline
show what the service produced; acknowledge and silence through the forms (good and bad
input); a supervisor acknowledges escalated alerts of their own province only; the strip of
firing alerts on the regency home and the province page; thresholds saved by the head of
office and the supervisor, refused outside their bounds, and used by the evaluator."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from siaga_platform.alerts import repository, service
from siaga_platform.alerts.evaluate import evaluate_all
from siaga_platform.alerts.models import Alert, EventKind, Level, Rule
from siaga_platform.alerts.rules import Finding, Thresholds
from siaga_platform.alerts.thresholds import AlertThreshold, ProvinceAlertThreshold
from siaga_platform.audit.models import AuditEvent
from siaga_platform.auth.principal import Role
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.demo.seed import demo_subject
from siaga_tenants.domain_inputs.rollup import active_regencies
from siaga_tenants.memberships.service import ensure_user, grant, resolve_principal
from siaga_tenants.registry import repository as tenants
from siaga_tenants.registry.service import provision_tenant
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed, seed_whole_demo
from tests.fixtures.web import build_app, client_for, csrf_from, sign_in

OPERATOR = demo_subject(Role.OPERATOR, "62.12")
OTHER_OPERATOR = demo_subject(Role.OPERATOR, "62.05")
HEAD = demo_subject(Role.KEPALA_DINAS, "62.12")
SUPERVISOR = demo_subject(Role.SUPERVISOR_PROVINSI, "62")
NEIGHBOUR = "test-supervisor-63"  # a supervisor of Kalimantan Selatan
LIMITS = Thresholds(escalate_after_minutes=60, remind_every_minutes=240)
PAGE = "/wilayah/62.12/peringatan"

STOPPED = Finding(Rule.RECORDING_STOPPED, Level.GAWAT, "Perekaman berhenti: 0 dari 3 set.")
BACKLOG = Finding(Rule.BACKLOG_COUNT, Level.PERHATIKAN, "2.373 permohonan menunggu cetak.")
LOW = Finding(Rule.LOW_COVER, Level.PERHATIKAN, "Blanko cukup untuk 4 hari.")
SILENT = Finding(Rule.REGENCY_SILENT, Level.PERHATIKAN, "Kabupaten/kota diam.")
LETTERS = Finding(Rule.LETTERS_EXPIRING, Level.PERHATIKAN, "60 suket segera habis.")


@pytest.fixture
async def client(db: ScratchDatabase) -> AsyncIterator[httpx.AsyncClient]:
    await seed(db)
    async with client_for(build_app(db)) as client:
        yield client


async def _tenant_id(db: ScratchDatabase, code: str) -> uuid.UUID:
    async with db.session_factory() as session:
        tenant = await tenants.get_by_code(session, code)
        assert tenant is not None
        return tenant.id


async def _reconcile(
    db: ScratchDatabase, code: str, findings: list[Finding], at: datetime
) -> list[EventKind]:
    tenant_id = await _tenant_id(db, code)
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        changes = await service.reconcile(session, tenant_id, findings, limits=LIMITS, now=at)
    return [c.kind for c in changes]


async def _alerts(db: ScratchDatabase, code: str) -> dict[Rule, Alert]:
    tenant_id = await _tenant_id(db, code)
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant_id))
        listed = await repository.listing(session, resolved_since=datetime(2000, 1, 1, tzinfo=UTC))
        return {a.rule: a for a in listed}


def _section(html: str, key: str) -> str:
    start = html.index(f'<section id="{key}">')
    return html[start : html.index("</section>", start)]


async def _form_token(client: httpx.AsyncClient, url: str) -> str:
    page = await client.get(url)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


async def test_the_regency_page_lists_what_the_service_produced(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    t0 = now - timedelta(minutes=20)
    await _reconcile(db, "62.12", [BACKLOG, STOPPED, LOW, SILENT], t0)
    await _reconcile(db, "62.12", [BACKLOG, STOPPED, LOW], t0 + timedelta(minutes=5))
    async with db.session_factory() as session:
        who = await resolve_principal(session, OPERATOR)
    assert who is not None and who.tenant_id is not None
    alerts = await _alerts(db, "62.12")
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))
        await service.acknowledge(
            session, who, alerts[Rule.BACKLOG_COUNT].id, note="petugas lembur", now=now
        )
        await service.silence(
            session,
            who,
            alerts[Rule.LOW_COVER].id,
            until=now + timedelta(hours=6),
            reason="kiriman blanko di jalan",
            now=now,
        )
    await sign_in(client, OPERATOR)
    page = await client.get(PAGE)
    assert page.status_code == 200
    firing = _section(page.text, "menyala")
    assert "Perekaman berhenti" in firing and "Gawat" in firing and "✖" in firing
    assert f"{PAGE}/{alerts[Rule.RECORDING_STOPPED].id}" in firing
    acknowledged = _section(page.text, "ditanggapi")
    assert "Terlalu banyak permohonan" in acknowledged and "petugas lembur" in acknowledged
    assert "Operator Murung Raya" in acknowledged  # who, by name
    silenced = _section(page.text, "senyap")
    assert "kiriman blanko di jalan" in silenced and "WIB" in silenced
    assert "Operator Murung Raya" in silenced and "▲" in silenced
    resolved = _section(page.text, "pulih")
    assert "Kabupaten/kota tanpa kegiatan" in resolved
    for other in ("menyala", "ditanggapi", "senyap"):
        assert "tanpa kegiatan" not in _section(page.text, other)
    fragment = await client.get(PAGE, headers={"HX-Request": "true"})  # the live refresh
    assert "<html" not in fragment.text and _section(fragment.text, "menyala") == firing

    detail = await client.get(f"{PAGE}/{alerts[Rule.LOW_COVER].id}")
    assert detail.status_code == 200
    timeline = detail.text[detail.text.index('<ol class="timeline">') :]
    assert timeline.index("Dibuka") < timeline.index("Disenyapkan")
    assert "kiriman blanko di jalan" in timeline and "Siaga (otomatis)" in timeline

    await sign_in(client, OTHER_OPERATOR)
    assert (await client.get(PAGE)).status_code == 404
    assert (await client.get(f"{PAGE}/{alerts[Rule.LOW_COVER].id}")).status_code == 404
    # Their own address with another regency's alert: not found either.
    other = f"/wilayah/62.05/peringatan/{alerts[Rule.LOW_COVER].id}"
    assert (await client.get(other)).status_code == 404


async def test_acknowledge_and_silence_through_the_forms(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await _reconcile(db, "62.12", [STOPPED, LOW], datetime.now(UTC) - timedelta(minutes=5))
    alerts = await _alerts(db, "62.12")
    stopped = f"{PAGE}/{alerts[Rule.RECORDING_STOPPED].id}"
    low = f"{PAGE}/{alerts[Rule.LOW_COVER].id}"
    await sign_in(client, OPERATOR)
    token = await _form_token(client, stopped)
    page = await client.get(stopped)
    assert f'action="{stopped}/tanggapi"' in page.text
    assert f'action="{stopped}/senyapkan"' in page.text

    assert (await client.post(f"{stopped}/tanggapi", data={"note": "x"})).status_code == 403
    done = await client.post(
        f"{stopped}/tanggapi", data={"note": "teknisi berangkat", "csrf_token": token}
    )
    assert done.status_code == 303 and done.headers["location"] == f"{stopped}?berhasil=ditanggapi"
    shown = await client.get(done.headers["location"])
    assert "Peringatan ditanggapi" in shown.text and "teknisi berangkat" in shown.text
    assert f'action="{stopped}/tanggapi"' not in shown.text  # nothing left to acknowledge
    again = await client.post(f"{stopped}/tanggapi", data={"note": "", "csrf_token": token})
    assert again.status_code == 409 and "sudah ditanggapi" in again.text
    too_long = await client.post(f"{low}/tanggapi", data={"note": "x" * 600, "csrf_token": token})
    assert too_long.status_code == 422 and "paling banyak 500" in too_long.text
    assert 'class="invalid"' in too_long.text

    def local(delta: timedelta) -> str:
        wib = datetime.now(UTC) + timedelta(hours=7) + delta
        return wib.strftime("%Y-%m-%dT%H:%M")

    for until, reason, message, status in (
        ("besok pagi", "rapat", "Isi batas waktu senyap", 422),
        (local(-timedelta(hours=1)), "rapat", "di masa depan", 422),
        (local(timedelta(days=31)), "rapat", "paling lama 30 hari", 422),
        (local(timedelta(hours=3)), "   ", "Alasan wajib diisi", 422),
    ):
        refused = await client.post(
            f"{low}/senyapkan", data={"until": until, "reason": reason, "csrf_token": token}
        )
        assert refused.status_code == status, (until, refused.text[:300])
        assert message in refused.text and 'role="alert"' in refused.text
        assert f'value="{reason}"' in refused.text  # what was typed stays in the form
    assert (await _alerts(db, "62.12"))[Rule.LOW_COVER].silenced_until is None  # nothing saved

    until = local(timedelta(hours=3))
    silenced = await client.post(
        f"{low}/senyapkan", data={"until": until, "reason": "stok dikirim", "csrf_token": token}
    )
    assert silenced.status_code == 303
    saved = (await _alerts(db, "62.12"))[Rule.LOW_COVER]
    expected = datetime.fromisoformat(until).replace(tzinfo=UTC) - timedelta(hours=7)
    assert saved.silenced_until == expected and saved.silence_reason == "stok dikirim"
    shown = await client.get(silenced.headers["location"])
    assert "disenyapkan" in shown.text and f"{until[11:13]}.{until[14:16]} WIB" in shown.text

    # The supervisor reads the page but silences nothing and acknowledges at the province.
    await sign_in(client, SUPERVISOR)
    token = await _form_token(client, low)
    assert (await client.get(low)).status_code == 200
    answer = await client.post(
        f"{low}/senyapkan", data={"until": until, "reason": "x", "csrf_token": token}
    )
    assert answer.status_code == 403


async def _neighbour(db: ScratchDatabase) -> None:
    async with unit_of_work(db.session_factory) as session:
        await provision_tenant(session, "63.01", actor_subject="test")
        await ensure_user(session, NEIGHBOUR, "Supervisor Kalimantan Selatan")
        await grant(session, NEIGHBOUR, Role.SUPERVISOR_PROVINSI, province_code="63")


async def test_a_supervisor_acknowledges_escalated_alerts_of_their_province_only(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await _neighbour(db)
    t0 = datetime.now(UTC) - timedelta(minutes=90)
    await _reconcile(db, "62.12", [STOPPED], t0)
    assert await _reconcile(db, "62.12", [STOPPED], t0 + timedelta(minutes=61)) == [
        EventKind.ESCALATED
    ]
    await _reconcile(db, "62.05", [LOW], t0 + timedelta(minutes=80))  # not escalated yet
    escalated = (await _alerts(db, "62.12"))[Rule.RECORDING_STOPPED]
    fresh = (await _alerts(db, "62.05"))[Rule.LOW_COVER]

    await sign_in(client, NEIGHBOUR)
    token = await _form_token(client, "/provinsi/63/peringatan")
    for province in ("62", "63"):
        refused = await client.post(
            f"/provinsi/{province}/peringatan/{escalated.id}/tanggapi",
            data={"note": "bukan wilayah saya", "csrf_token": token},
        )
        assert refused.status_code == 404, province
    assert (await client.get("/provinsi/62/peringatan")).status_code == 404

    await sign_in(client, SUPERVISOR)
    page = await client.get("/provinsi/62/peringatan")
    assert page.status_code == 200
    rows = re.findall(r'<tr class="row-(\w+)" id="wilayah-([\d.]+)">', page.text)
    assert len(rows) == 14 and rows[0] == ("bad", "62.12") and rows[1] == ("warn", "62.05")
    assert f"/provinsi/62/peringatan/{escalated.id}/tanggapi" in page.text
    assert f"/provinsi/62/peringatan/{fresh.id}/tanggapi" not in page.text  # not theirs yet
    token = csrf_from(page.text)
    early = await client.post(
        f"/provinsi/62/peringatan/{fresh.id}/tanggapi", data={"note": "x", "csrf_token": token}
    )
    assert early.status_code == 409 and "belum dieskalasi ke provinsi" in early.text
    assert (await _alerts(db, "62.05"))[Rule.LOW_COVER].acknowledged_at is None
    # The regency's own route refuses the supervisor (a read scope there).
    assert (
        await client.post(
            f"{PAGE}/{escalated.id}/tanggapi", data={"note": "x", "csrf_token": token}
        )
    ).status_code == 403
    done = await client.post(
        f"/provinsi/62/peringatan/{escalated.id}/tanggapi",
        data={"note": "dinas provinsi menghubungi kepala dinas", "csrf_token": token},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}/{escalated.id}?berhasil=ditanggapi"
    shown = await client.get(done.headers["location"])
    assert "Supervisor Kalimantan Tengah" in shown.text
    assert "dinas provinsi menghubungi kepala dinas" in shown.text
    saved = (await _alerts(db, "62.12"))[Rule.RECORDING_STOPPED]
    assert saved.acknowledged_by == SUPERVISOR
    # Acknowledged: no escalation to the platform an hour later.
    assert await _reconcile(db, "62.12", [STOPPED], datetime.now(UTC) + timedelta(hours=2)) == []


async def test_a_platform_admin_acknowledges_once_the_alert_reached_the_platform(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    t0 = datetime.now(UTC) - timedelta(hours=3)
    await _reconcile(db, "62.12", [STOPPED], t0)
    await _reconcile(db, "62.12", [STOPPED], t0 + timedelta(minutes=61))  # to the province
    alert = (await _alerts(db, "62.12"))[Rule.RECORDING_STOPPED]
    action = f"/provinsi/62/peringatan/{alert.id}/tanggapi"
    await sign_in(client, demo_subject(Role.ADMIN_PLATFORM, "platform"))
    page = await client.get("/provinsi/62/peringatan")
    assert page.status_code == 200 and action not in page.text
    early = await client.post(action, data={"note": "x", "csrf_token": csrf_from(page.text)})
    assert early.status_code == 409 and "belum dieskalasi ke tingkat nasional" in early.text
    await _reconcile(db, "62.12", [STOPPED], t0 + timedelta(minutes=122))  # to the platform
    detail = await client.get(f"{PAGE}/{alert.id}")
    assert f'action="{action}"' in detail.text and "admin platform (nasional)" in detail.text
    done = await client.post(
        action, data={"note": "pusat dihubungi", "csrf_token": csrf_from(detail.text)}
    )
    assert done.status_code == 303
    assert (await _alerts(db, "62.12"))[Rule.RECORDING_STOPPED].acknowledgement_note == (
        "pusat dihubungi"
    )


async def test_the_strip_on_the_regency_home_and_the_province_page(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    await sign_in(client, OPERATOR)
    assert 'class="alert-strip"' not in (await client.get("/wilayah/62.12")).text  # all clear
    now = datetime.now(UTC) - timedelta(minutes=5)
    many = [
        BACKLOG,
        LOW,
        SILENT,
        LETTERS,
        Finding(Rule.BACKLOG_OLDEST, Level.PERHATIKAN, "Permohonan tertua 140 hari."),
        STOPPED,
        Finding(Rule.CARDS_OUT, Level.GAWAT, "Blanko KTP-el habis (stok 0)."),
    ]
    await _reconcile(db, "62.12", many, now)
    await _reconcile(db, "62.05", [LOW], now)
    home = await client.get("/wilayah/62.12")
    strip = home.text[home.text.index('class="alert-strip"') : home.text.index("</section>")]
    items = re.findall(r'<li class="(\w+)">', strip)
    assert items == ["bad", "bad", "warn", "warn", "warn"]  # Gawat first, at most five
    assert "2 lainnya" in strip and 'href="/wilayah/62.12/peringatan"' in strip
    assert strip.count('href="/wilayah/62.12/peringatan/') == 5
    assert "Kalimantan" not in strip and "62.05" not in strip

    await sign_in(client, SUPERVISOR)
    province = await client.get("/provinsi/62")
    strip = province.text[
        province.text.index('class="alert-strip"') : province.text.index("</section>")
    ]
    assert re.findall(r'<li class="(\w+)">', strip)[:2] == ["bad", "bad"]
    assert "Kabupaten Murung Raya: " in strip and "3 lainnya" in strip  # 8 firing, 5 shown
    assert 'href="/provinsi/62/peringatan"' in strip
    # The live refresh of the table carries no strip.
    fragment = await client.get("/provinsi/62", headers={"HX-Request": "true"})
    assert "alert-strip" not in fragment.text


async def _counts(db: ScratchDatabase) -> tuple[int, int, int]:
    async with db.session_factory() as session:
        everyone = await tenants.list_all(session)
        await enter_scope(session, TenantScope.read_only({t.id for t in everyone}))
        own = await session.scalar(select(func.count()).select_from(AlertThreshold))
        province = await session.scalar(select(func.count()).select_from(ProvinceAlertThreshold))
        audited = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action.like("alerts.%thresholds_changed"))
        )
    return own or 0, province or 0, audited or 0


async def test_thresholds_saved_refused_and_used_by_the_evaluator(
    db: ScratchDatabase,
) -> None:
    await seed_whole_demo(db)
    now = datetime.now(UTC)
    await evaluate_all(db.session_factory, active_regencies, now=now)
    before = {code: await _alerts(db, code) for code in ("62.02", "62.03", "62.07")}
    assert all(Rule.LOW_COVER in found for found in before.values())  # 4, 1.7 and 8 days

    async with client_for(build_app(db)) as client:
        # The head of office of 62.02 (4 days of cards) lowers the regency's own threshold.
        await sign_in(client, demo_subject(Role.KEPALA_DINAS, "62.02"))
        settings = "/wilayah/62.02/peringatan/pengaturan"
        token = await _form_token(client, settings)
        for value, message in (
            ("0", "antara 1 dan 365 hari"),
            ("366", "antara 1 dan 365 hari"),
            ("tiga", "bilangan bulat"),
            ("2.5", "bilangan bulat"),
        ):
            refused = await client.post(
                settings,
                data={"low_cover_days": value, "backlog_count": "100", "csrf_token": token},
            )
            assert refused.status_code == 422 and message in refused.text, value
            assert "Tidak ada yang disimpan" in refused.text and 'class="invalid"' in refused.text
        assert await _counts(db) == (0, 0, 0)  # nothing saved, not even the good value
        saved = await client.post(settings, data={"low_cover_days": "3", "csrf_token": token})
        assert saved.status_code == 303
        page = await client.get(saved.headers["location"])
        assert "Ambang batas disimpan" in page.text
        row = re.search(r'id="ambang-low_cover_days">(.*?)</tr>', page.text, re.S)
        assert row and "3 hari" in row.group(1) and "kabupaten/kota" in row.group(1)
        # An operator reads the thresholds but may not change them.
        await sign_in(client, demo_subject(Role.OPERATOR, "62.02"))
        assert '<form method="post" action="/wilayah' not in (await client.get(settings)).text
        refused = await client.post(settings, data={"low_cover_days": "9", "csrf_token": token})
        assert refused.status_code == 403

        # The supervisor lowers the province default: 62.07 (8 days) stops firing, 62.03 not.
        await sign_in(client, SUPERVISOR)
        defaults = "/provinsi/62/peringatan/pengaturan"
        token = await _form_token(client, defaults)
        refused = await client.post(
            defaults, data={"remind_every_minutes": "5", "csrf_token": token}
        )
        assert refused.status_code == 422 and "antara 15 dan 10.080 menit" in refused.text
        assert (
            await client.post(
                "/wilayah/62.02/peringatan/pengaturan",
                data={"low_cover_days": "9", "csrf_token": token},
            )
        ).status_code == 403  # the regency's own values are its head's
        saved = await client.post(defaults, data={"low_cover_days": "5", "csrf_token": token})
        assert saved.status_code == 303
        # 62.02's own 3 days beats the province's 5 on its page.
        regency_page = await client.get("/wilayah/62.02/peringatan/pengaturan")
        row = re.search(r'id="ambang-low_cover_days">(.*?)</tr>', regency_page.text, re.S)
        assert row and "3 hari" in row.group(1)
    own, province, audited = await _counts(db)
    assert (own, province) == (1, 1) and audited == 1 + 14  # the province's change in each

    await evaluate_all(db.session_factory, active_regencies, now=now + timedelta(minutes=1))
    after = {code: await _alerts(db, code) for code in ("62.02", "62.03", "62.07")}
    assert after["62.02"][Rule.LOW_COVER].resolved_at is not None  # 4 days ≥ its own 3
    assert after["62.07"][Rule.LOW_COVER].resolved_at is not None  # 8 days ≥ province's 5
    assert after["62.03"][Rule.LOW_COVER].resolved_at is None  # 1.7 days < 5


async def test_escalation_follows_the_province_default_and_the_regency_override(
    db: ScratchDatabase, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    await evaluate_all(db.session_factory, active_regencies, now=now)  # every regency: no cards
    await sign_in(client, SUPERVISOR)
    token = await _form_token(client, "/provinsi/62/peringatan/pengaturan")
    sent = await client.post(
        "/provinsi/62/peringatan/pengaturan",
        data={"escalate_after_minutes": "20", "csrf_token": token},
    )
    assert sent.status_code == 303
    await sign_in(client, HEAD)
    token = await _form_token(client, "/wilayah/62.12/peringatan/pengaturan")
    sent = await client.post(
        "/wilayah/62.12/peringatan/pengaturan",
        data={"escalate_after_minutes": "120", "csrf_token": token},
    )
    assert sent.status_code == 303
    changes = await evaluate_all(
        db.session_factory, active_regencies, now=now + timedelta(minutes=30)
    )
    escalated = {c.tenant_id for c in changes if c.kind is EventKind.ESCALATED}
    mura, kapuas = await _tenant_id(db, "62.12"), await _tenant_id(db, "62.03")
    assert kapuas in escalated and mura not in escalated  # 30 min ≥ 20, but < 120 for 62.12
    assert len(escalated) == 13
