"""`siaga keys rotate` for the search key, on both databases: with a new search key put first
and the old one after it, every NIK hash (applications and their letters) and name word is
rebuilt under the new key in resumable batches; while that runs every search still finds every
row and a second open application for a NIK is still refused; afterwards the old key can go."""

from __future__ import annotations

import csv
import io
import os
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from siaga_platform.applications import importer, repository
from siaga_platform.applications import service as applications
from siaga_platform.applications.filters import RegisterFilter
from siaga_platform.applications.models import Application, ApplicationNameWord, Reason
from siaga_platform.applications.nik import parse_nik
from siaga_platform.auth.principal import Principal
from siaga_platform.errors import Conflict
from siaga_platform.letters import repository as letters
from siaga_platform.letters.models import Letter
from siaga_platform.privacy.crypto import FieldCipher, Keyring
from siaga_platform.privacy.rotation import rotate_search_keys
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from siaga_tenants.regions.directory import CodeListDirectory
from siaga_tenants.registry.service import import_inputs
from tests.fixtures.applications import CIPHER, nik_for, operator
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed
from tests.letters.helpers import issue, recorded_applicants

OLD = CIPHER.current_search_key_id
COUNT = 5


def _ciphers() -> tuple[FieldCipher, FieldCipher]:
    """(new search key first + old after, new only): during and after the rotation."""
    keyring = CIPHER._keyring
    new = os.urandom(32)
    during = Keyring(keyring.current_id, keyring.keys, {"s1": new, OLD: keyring.search_keys[OLD]})
    after = Keyring(keyring.current_id, keyring.keys, {"s1": new})
    return FieldCipher(during), FieldCipher(after)


async def _found(
    db: ScratchDatabase, tenant: uuid.UUID, cipher: FieldCipher, *, nik: str = "", name: str = ""
) -> list[uuid.UUID]:
    filters = RegisterFilter(
        nik_hashes=cipher.search_hashes(nik, tenant_id=tenant, field="nik") if nik else (),
        name_word_hash_sets=cipher.word_hash_sets(name, tenant_id=tenant) if name else (),
    )
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        return [a.id for a in await repository.register_page(session, filters, limit=100)]


async def _letter_found(
    db: ScratchDatabase, tenant: uuid.UUID, cipher: FieldCipher, nik: str
) -> int:
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        _, total = await letters.register_page(
            session,
            today=date.today(),
            nik_hashes=cipher.search_hashes(nik, tenant_id=tenant, field="nik"),
        )
        return total


async def _register_again(
    db: ScratchDatabase, who: Principal, cipher: FieldCipher, nik: str
) -> None:
    parsed = parse_nik(nik, today=date.today())
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(who.tenant_id))  # type: ignore[arg-type]
        await applications.register(
            session,
            who,
            cipher,
            CodeListDirectory(),
            applications.NewApplication(
                nik=nik,
                name="Siti Aminah",
                birth_place="Puruk Cahu",
                birth_date=parsed.birth_date,
                sex=parsed.sex,
                kecamatan_code=f"{who.tenant_code}.01",
                desa="Beriwit",
                reason=Reason.LOST,
            ),
            today=date.today(),
            now=datetime.now(UTC),
        )


async def _import(
    db: ScratchDatabase, who: Principal, cipher: FieldCipher, niks: list[str]
) -> tuple[int, int]:
    """A CSV of these NIKs (recorded, open) imported with ``cipher``: (imported, duplicates)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["nik", "nama", "tanggal_lahir", "jenis_kelamin", "kecamatan", "status", "tanggal"]
    )
    for nik in niks:
        writer.writerow([nik, "Siti Aminah", "1995-08-17", "L", "62.12.01", "BC", "2026-10-01"])
    tenant = who.tenant_id
    assert tenant is not None
    async with unit_of_work(db.session_factory) as session:
        await enter_scope(session, TenantScope.single(tenant))
        job = await importer.create_import(
            session, who, filename="ulang.csv", content=out.getvalue().encode()
        )
    async with db.session_factory() as session:
        inputs = await import_inputs(session, tenant, datetime.now(UTC))
    assert inputs is not None
    await importer.run_import(
        db.session_factory, cipher, inputs[0], tenant_id=tenant, job_id=job.id, today=inputs[1]
    )
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        done = await repository.get_import(session, job.id)
        assert done is not None
        return done.created_count, done.duplicate_count


async def test_search_hashes_move_to_the_new_key_and_every_search_finds_every_row_meanwhile(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    tenant = who.tenant_id
    assert tenant is not None
    await recorded_applicants(db, who, COUNT)
    niks = [nik_for(serial) for serial in range(1, COUNT + 1)]
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        by_nik = {
            applications.decrypt_nik(CIPHER, row): row.id
            for row in (await session.scalars(select(Application))).all()
        }
    ids = [by_nik[nik] for nik in niks]
    for application_id in (ids[0], ids[-1]):
        await issue(db, who, application_id, today=date.today())
    during, after = _ciphers()
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        versions = {r.id: r.version for r in (await session.scalars(select(Application))).all()}
    assert (
        await _found(db, tenant, after, name="Siti Aminah") == []
    )  # the new key finds nothing yet

    partial = await rotate_search_keys(
        db.session_factory, during, [tenant], batch_size=2, max_batches=1
    )
    assert (partial.applications, partial.complete) == (2, False)  # interrupted half-way
    # Half the rows under each key: every search still finds every applicant and letter.
    assert sorted(await _found(db, tenant, during, name="siti aminah")) == sorted(ids)
    for nik, application_id in zip(niks, ids, strict=True):
        assert await _found(db, tenant, during, nik=nik) == [application_id]
    assert await _letter_found(db, tenant, during, niks[0]) == 1
    assert await _letter_found(db, tenant, during, niks[-1]) == 1
    for nik in (niks[0], niks[-1]):  # one moved, one not: the open application still counts
        with pytest.raises(Conflict):
            await _register_again(db, who, during, nik)
    # An import of the same people meanwhile finds them all, whichever key they are under.
    assert await _import(db, who, during, niks) == (0, COUNT)

    done = await rotate_search_keys(db.session_factory, during, [tenant], batch_size=2)
    assert done.complete and done.applications == COUNT - 2
    assert partial.letters + done.letters == 2  # each letter moved once, with its NIK
    again = await rotate_search_keys(db.session_factory, during, [tenant], batch_size=2)
    assert again.complete and again.applications == 0

    # The old search key is gone: everything is found under the new one alone.
    assert sorted(await _found(db, tenant, after, name="Aminah Siti")) == sorted(ids)
    assert await _found(db, tenant, after, name=f"Nomor{3}") == [ids[2]]
    for nik, application_id in zip(niks, ids, strict=True):
        assert await _found(db, tenant, after, nik=nik) == [application_id]
    assert await _letter_found(db, tenant, after, niks[-1]) == 1
    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        rows = (await session.scalars(select(Application))).all()
        assert {r.search_key_id for r in rows} == {"s1"}
        assert {r.id: r.version for r in rows} == versions  # a clerk's open form still saves
        held = {r.id: r.nik_hash for r in rows}
        for letter in (await session.scalars(select(Letter))).all():
            assert letter.nik_hash == held[letter.application_id]
        words = await session.scalar(select(func.count()).select_from(ApplicationNameWord))
        assert words == 3 * COUNT  # "Siti Aminah NomorN": the old words are gone
    with pytest.raises(Conflict):
        await _register_again(db, who, after, niks[1])
