"""Field-key rotation (`siaga keys rotate`): every NIK and name still encrypted under an older
key of ``SIAGA_FIELD_KEYS`` is encrypted again under the current (first) one, and every sealed
webhook secret sealed again, in short batches while the app serves.

Resumable by construction: a batch takes rows whose key id is not the current one and commits;
run it again after an interruption and it goes on where it stopped. A row a clerk changes
meanwhile is written under the current key by the app itself, and the batch's update is
conditional on the old key id, so it never overwrites the clerk's change. Search hashes do not
depend on the field key and are left as they are.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.applications.models import Application
from siaga_platform.db.engine import unit_of_work
from siaga_platform.delivery.models import NotifyPreference
from siaga_platform.delivery.service import WEBHOOK_SECRET
from siaga_platform.privacy.crypto import SEALED_PREFIX, FieldCipher
from siaga_platform.tenancy.scope import TenantScope, acting_for

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
                acting_for(db, TenantScope.single(tenant_id)),
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
