"""Key rotation (`siaga keys rotate`), in short batches while the app serves:

- field keys: every NIK and name still encrypted under an older key of ``SIAGA_FIELD_KEYS`` is
  encrypted again under the current (first) one, and every sealed webhook secret sealed again;
- search keys: every NIK hash (on the application and on its letters) and name-word hash made
  under an older key of ``SIAGA_SEARCH_KEY`` is made again under the current one, from the
  decrypted NIK and name.

Resumable by construction: a batch takes rows whose key id is not the current one and commits;
run it again after an interruption and it goes on where it stopped. A row a clerk changes
meanwhile is written under the current key by the app itself, and the batch's update is
conditional on the old key id, so it never overwrites the clerk's change.

Search hashes move one NIK at a time: every application and letter of a NIK changes hash in
the same transaction, so the rules that read "the NIK's rows" (one open application, one
letter in force) always see all of them under one key. Lookups meanwhile ask for the hashes
under every configured key (``FieldCipher.search_hashes``), so no search misses a row.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.applications.models import Application, ApplicationNameWord
from siaga_platform.delivery.models import NotifyPreference
from siaga_platform.delivery.service import WEBHOOK_SECRET
from siaga_platform.letters.models import Letter
from siaga_platform.privacy.crypto import SEALED_PREFIX, FieldCipher
from siaga_platform.tenancy.scope import TenantScope, system_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work

NIK, NAME = "nik", "name"


@dataclass
class RotationReport:
    applications: int = 0
    webhook_secrets: int = 0
    batches: int = 0
    complete: bool = False


async def _application_batch(
    db: AsyncSession, cipher: FieldCipher, tenant_id: uuid.UUID, size: int
) -> int:
    current = cipher.current_key_id
    rows = (
        await db.execute(
            select(
                Application.id,
                Application.key_id,
                Application.nik_ciphertext,
                Application.name_ciphertext,
            )
            .where(Application.key_id != current)
            .order_by(Application.id)
            .limit(size)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return 0
    for row in rows:

        def again(blob: bytes, field: str, key_id: str = row.key_id) -> bytes:
            plain = cipher.decrypt(blob, key_id=key_id, tenant_id=tenant_id, field=field)
            return cipher.encrypt(plain, tenant_id=tenant_id, field=field)

        # A statement, not the object: the row's version (a clerk's optimistic lock) stays,
        # and the old key id in the criteria leaves alone a row the app rewrote meanwhile.
        await db.execute(
            update(Application)
            .where(Application.id == row.id, Application.key_id == row.key_id)
            .values(
                nik_ciphertext=again(row.nik_ciphertext, NIK),
                name_ciphertext=again(row.name_ciphertext, NAME),
                key_id=current,
            )
            .execution_options(synchronize_session=False)
        )
    return len(rows)


async def _reseal_webhook_secrets(db: AsyncSession, cipher: FieldCipher) -> int:
    current = f"{SEALED_PREFIX}{cipher.current_key_id}:"
    found = (
        await db.scalars(
            select(NotifyPreference)
            .where(
                NotifyPreference.webhook_secret.is_not(None),
                ~NotifyPreference.webhook_secret.startswith(current),
            )
            .with_for_update()
        )
    ).all()
    for preference in found:
        sealed = preference.webhook_secret or ""
        plain = cipher.unseal(sealed, owner=preference.subject, field=WEBHOOK_SECRET)
        preference.webhook_secret = cipher.seal(
            plain, owner=preference.subject, field=WEBHOOK_SECRET
        )
    return len(found)


async def rotate_field_keys(
    factory: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    tenant_ids: Iterable[uuid.UUID],
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    progress: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Everything under the current key, or as far as ``max_batches`` allows (``complete``
    says which); each batch is its own short transaction in the regency's own scope."""
    report = RotationReport()
    async with unit_of_work(factory) as db:
        report.webhook_secrets = await _reseal_webhook_secrets(db, cipher)
    for tenant_id in tenant_ids:
        while True:
            if max_batches is not None and report.batches >= max_batches:
                return report
            async with (
                unit_of_work(factory) as db,
                system_scope(
                    db, TenantScope.single(tenant_id), why="privacy.rotation.rotate_field_keys"
                ),
            ):
                done = await _application_batch(db, cipher, tenant_id, batch_size)
            if not done:
                break
            report.applications += done
            report.batches += 1
            if progress is not None:
                progress(report)
    report.complete = True
    return report


@dataclass
class SearchRotationReport:
    niks: int = 0
    applications: int = 0
    letters: int = 0
    batches: int = 0
    complete: bool = False


async def _rehash_nik(
    db: AsyncSession, cipher: FieldCipher, tenant_id: uuid.UUID, old_hash: str
) -> tuple[int, int]:
    """Every application and letter of one NIK (all under the hash ``old_hash``) under the
    current search key, name words included. (applications, letters) changed."""
    current = cipher.current_search_key_id
    group = (
        await db.execute(
            select(Application.id, Application.key_id, Application.nik_ciphertext)
            .add_columns(Application.name_ciphertext, Application.search_key_id)
            .where(Application.nik_hash == old_hash, Application.search_key_id != current)
            .order_by(Application.id)
            .with_for_update()
        )
    ).all()
    if not group:
        return 0, 0  # a clerk's write or another rotation moved it meanwhile
    first = group[0]
    nik = cipher.decrypt(first.nik_ciphertext, key_id=first.key_id, tenant_id=tenant_id, field=NIK)
    new_hash = cipher.search_hash(nik, tenant_id=tenant_id, field="nik")
    ids = [row.id for row in group]
    await db.execute(
        update(Application)
        .where(Application.id.in_(ids))
        .values(nik_hash=new_hash, search_key_id=current)
        .execution_options(synchronize_session=False)
    )
    moved_letters = await db.execute(
        update(Letter)
        .where(Letter.nik_hash == old_hash)
        .values(nik_hash=new_hash)
        .execution_options(synchronize_session=False)
    )
    words = []
    for row in group:
        name = cipher.decrypt(
            row.name_ciphertext, key_id=row.key_id, tenant_id=tenant_id, field=NAME
        )
        stale = delete(ApplicationNameWord).where(ApplicationNameWord.application_id == row.id)
        if row.search_key_id in cipher.search_key_ids:
            # The old words by their key (word_hash leads the primary key after tenant_id).
            old_words = cipher.word_hashes(name, tenant_id=tenant_id, key_id=row.search_key_id)
            stale = stale.where(ApplicationNameWord.word_hash.in_(old_words))
        await db.execute(stale.execution_options(synchronize_session=False))
        words += [
            {"tenant_id": tenant_id, "application_id": row.id, "word_hash": word}
            for word in cipher.word_hashes(name, tenant_id=tenant_id)
        ]
    if words:
        await db.execute(insert(ApplicationNameWord), words)
    return len(ids), int(getattr(moved_letters, "rowcount", 0) or 0)


async def rotate_search_keys(
    factory: async_sessionmaker[AsyncSession],
    cipher: FieldCipher,
    tenant_ids: Iterable[uuid.UUID],
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    progress: Callable[[SearchRotationReport], None] | None = None,
) -> SearchRotationReport:
    """Every search hash under the current search key, or as far as ``max_batches`` allows
    (``complete`` says which). A batch is up to ``batch_size`` NIKs of one regency, walked in
    id order (each row is read once per run, however far the rotation has come)."""
    report = SearchRotationReport()
    current = cipher.current_search_key_id
    for tenant_id in tenant_ids:
        after: uuid.UUID | None = None
        while True:
            if max_batches is not None and report.batches >= max_batches:
                return report
            async with (
                unit_of_work(factory) as db,
                system_scope(
                    db, TenantScope.single(tenant_id), why="privacy.rotation.rotate_search_keys"
                ),
            ):
                query = (
                    select(Application.id, Application.nik_hash)
                    .where(Application.search_key_id != current)
                    .order_by(Application.id)
                    .limit(batch_size)
                )
                if after is not None:
                    query = query.where(Application.id > after)
                rows = (await db.execute(query)).all()
                if not rows:
                    break
                after = rows[-1].id
                for old_hash in dict.fromkeys(row.nik_hash for row in rows):
                    applications, letters = await _rehash_nik(db, cipher, tenant_id, old_hash)
                    report.niks += 1 if applications else 0
                    report.applications += applications
                    report.letters += letters
            report.batches += 1
            if progress is not None:
                progress(report)
    report.complete = True
    return report
