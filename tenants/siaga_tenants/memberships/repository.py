from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_tenants.memberships.models import Membership, User


async def get_user(session: AsyncSession, subject: str) -> User | None:
    return await session.get(User, subject)


async def memberships_of(session: AsyncSession, subject: str) -> Sequence[Membership]:
    rows = await session.scalars(
        select(Membership).where(Membership.user_subject == subject).order_by(Membership.id)
    )
    return rows.all()


async def find_membership(
    session: AsyncSession, subject: str, scope_key: str, role: str
) -> Membership | None:
    return await session.scalar(
        select(Membership).where(
            Membership.user_subject == subject,
            Membership.scope_key == scope_key,
            Membership.role == role,
        )
    )


async def demo_users(session: AsyncSession) -> Sequence[tuple[User, Membership]]:
    rows = await session.execute(
        select(User, Membership)
        .join(Membership, Membership.user_subject == User.subject)
        .where(User.is_demo.is_(True))
        .order_by(Membership.role, User.subject)
    )
    return [(user, membership) for user, membership in rows]


async def count_members_of_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    rows = await session.scalars(select(Membership.id).where(Membership.tenant_id == tenant_id))
    return len(rows.all())


async def alert_members(
    session: AsyncSession, tenant_id: uuid.UUID, province_code: str
) -> list[tuple[str, str, str | None]]:
    """(subject, role, e-mail) of the regency's staff, its province's supervisors and the
    platform's admins: everyone who may be told of the regency's alerts."""
    rows = await session.execute(
        select(Membership.user_subject, Membership.role, User.email)
        .join(User, User.subject == Membership.user_subject)
        .where(
            or_(
                Membership.tenant_id == tenant_id,
                Membership.province_code == province_code,
                Membership.role == "admin_platform",
            )
        )
    )
    return [(subject, role, email) for subject, role, email in rows]


async def province_supervisors(
    session: AsyncSession, province_codes: Collection[str]
) -> list[tuple[str, str, str | None]]:
    """(province, subject, e-mail) of the supervisors of ``province_codes``, one statement."""
    if not province_codes:
        return []
    rows = await session.execute(
        select(Membership.province_code, Membership.user_subject, User.email)
        .join(User, User.subject == Membership.user_subject)
        .where(
            Membership.role == "supervisor_provinsi",
            Membership.province_code.in_(sorted(set(province_codes))),
        )
        .order_by(Membership.user_subject)
    )
    return [(code, subject, email) for code, subject, email in rows if code is not None]


async def display_names(session: AsyncSession, subjects: Collection[str]) -> dict[str, str]:
    """The names people are shown by (who acknowledged an alert), one statement."""
    if not subjects:
        return {}
    rows = await session.execute(
        select(User.subject, User.display_name).where(User.subject.in_(sorted(set(subjects))))
    )
    return {subject: name for subject, name in rows}
