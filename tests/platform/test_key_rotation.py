"""`siaga keys rotate` on both databases: after a new field key is put first, every NIK, name
and webhook secret is encrypted again under it, in batches, resumable; the old key can then be
dropped and everything still decrypts and is still found by its search hash; a clerk's version
is untouched, so an edit in flight does not fail."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import select

from siaga_platform.applications.models import Application
from siaga_platform.applications.service import decrypt_name, decrypt_nik
from siaga_platform.delivery import service as delivery
from siaga_platform.delivery.service import WEBHOOK_SECRET
from siaga_platform.privacy.crypto import FieldCipher, Keyring
from siaga_platform.privacy.rotation import rotate_field_keys
from siaga_platform.tenancy.scope import TenantScope, enter_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work
from tests.fixtures.applications import CIPHER, nik_for, operator, register
from tests.fixtures.databases import ScratchDatabase
from tests.fixtures.seed import seed

OLD = CIPHER.current_key_id
SECRET = "rahasia-jembatan-provinsi-abcdefghij0123456789"


def _ciphers() -> tuple[FieldCipher, FieldCipher]:
    """(new first + old after, new only): before and after the old key is dropped."""
    old_keyring = CIPHER._keyring
    new_key = os.urandom(32)
    both = Keyring(
        "k-2027", {"k-2027": new_key, OLD: old_keyring.keys[OLD]}, old_keyring.search_keys
    )
    only_new = Keyring("k-2027", {"k-2027": new_key}, old_keyring.search_keys)
    return FieldCipher(both), FieldCipher(only_new)


async def test_rotation_encrypts_everything_again_in_resumable_batches(
    db: ScratchDatabase,
) -> None:
    await seed(db)
    who = await operator(db)
    tenant = who.tenant_id
    assert tenant is not None
    niks = [nik_for(serial) for serial in range(1, 6)]
    for nik in niks:
        await register(db, who, nik, name=f"Warga {nik[-4:]}")
    async with unit_of_work(db.session_factory) as session:
        await delivery.save_preferences(
            session,
            "test-supervisor",
            delivery.PreferenceForm(webhook_url="http://127.0.0.1:9/hook", webhook_secret=SECRET),
            allow_private_webhooks=True,
            cipher=CIPHER,
            now=datetime.now(UTC),
        )
    rotating, after = _ciphers()

    partial = await rotate_field_keys(
        db.session_factory, rotating, [tenant], batch_size=2, max_batches=1
    )
    assert (partial.applications, partial.complete) == (2, False)  # interrupted
    done = await rotate_field_keys(db.session_factory, rotating, [tenant], batch_size=2)
    assert done.complete and done.applications == 3 and done.batches == 2  # went on
    assert done.webhook_secrets == 0  # already sealed again by the first run
    assert partial.webhook_secrets == 1
    again = await rotate_field_keys(db.session_factory, rotating, [tenant], batch_size=2)
    assert again.applications == 0 and again.complete

    async with db.session_factory() as session:
        await enter_scope(session, TenantScope.single(tenant))
        rows = (await session.scalars(select(Application).order_by(Application.id))).all()
        assert {r.key_id for r in rows} == {"k-2027"}
        assert {r.version for r in rows} == {1}  # a clerk's open form still saves
        assert sorted(decrypt_nik(after, r) for r in rows) == sorted(niks)  # old key gone
        assert {decrypt_name(after, r) for r in rows} == {f"Warga {n[-4:]}" for n in niks}
        wanted = after.search_hash(niks[2], tenant_id=tenant, field="nik")
        found = await session.scalar(select(Application).where(Application.nik_hash == wanted))
        assert found is not None and decrypt_nik(after, found) == niks[2]
        preference = await delivery.preference_of(session, "test-supervisor")
        assert preference is not None and preference.webhook_secret is not None
        assert preference.webhook_secret.startswith("sealed:k-2027:")
        assert (
            after.unseal(preference.webhook_secret, owner="test-supervisor", field=WEBHOOK_SECRET)
            == SECRET
        )
