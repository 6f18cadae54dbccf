"""The letters' settings of a regency: read as a ``LetterPolicy``, changed by its head."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.audit import service as audit
from siaga_platform.errors import InvalidInput, NotFound
from siaga_platform.letters.numbering import check_format
from siaga_platform.letters.service import LetterPolicy
from siaga_tenants.registry import service as registry
from siaga_tenants.registry.models import TenantSettings


def letter_policy(settings: TenantSettings | None) -> LetterPolicy:
    """The letters' settings of a tenant (defaults when it has no settings row)."""
    if settings is None:
        settings = TenantSettings(
            letter_validity_months=6,
            letter_number_format="470/{nomor}/DISDUKCAPIL/{tahun}",
            head_of_office_title="Kepala Dinas Kependudukan dan Pencatatan Sipil",
        )
    return LetterPolicy(
        number_format=settings.letter_number_format,
        validity_months=settings.letter_validity_months,
        signer_name=settings.head_of_office_name,
        signer_title=settings.head_of_office_title,
    )


async def update_letter_settings(
    session: AsyncSession,
    *,
    actor_subject: str,
    number_format: str,
    validity_months: int,
    signer_name: str,
    signer_title: str,
) -> TenantSettings:
    """The head of office sets the number format, the validity and the signer (scope: the
    head's own tenant). Numbers already given keep their format."""
    settings = await registry.current_settings(session)
    if settings is None:
        raise NotFound("Pengaturan kabupaten/kota ini belum ada.")
    if not 1 <= validity_months <= 24:
        raise InvalidInput(
            "Masa berlaku surat antara 1 dan 24 bulan.", field="letter_validity_months"
        )
    name = " ".join(signer_name.split())
    title = " ".join(signer_title.split())
    if not name or len(name) > 120:
        raise InvalidInput(
            "Nama kepala dinas wajib diisi (paling banyak 120 huruf).", field="head_of_office_name"
        )
    if not title or len(title) > 160:
        raise InvalidInput(
            "Jabatan penanda tangan wajib diisi (paling banyak 160 huruf).",
            field="head_of_office_title",
        )
    settings.letter_number_format = check_format(number_format)
    settings.letter_validity_months = validity_months
    settings.head_of_office_name = name
    settings.head_of_office_title = title
    await session.flush()
    await audit.record(
        session,
        tenant_id=settings.tenant_id,
        actor_subject=actor_subject,
        action="tenant.letter_settings_changed",
        object_type="tenant_settings",
        object_id=str(settings.tenant_id),
    )
    return settings
