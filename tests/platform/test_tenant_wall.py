"""The ORM wall, on SQLite and PostgreSQL: an operator of Kapuas (62.03) cannot read, update,
delete or insert Murung Raya (62.12) rows, by any ORM path.

The models here live on their own metadata (not the app's), with a relationship that may lazy
load, so every loader path can be exercised; on PostgreSQL they are created without RLS, so only
the ORM wall stands between the tenants.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import ForeignKeyConstraint, MetaData, String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession, async_sessionmaker
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)

from siaga_platform.db.engine import create_engine
from siaga_platform.ids import new_id
from siaga_platform.tenancy.models import TenantScoped
from siaga_platform.tenancy.scope import (
    TenantScope,
    TenantScopeMissing,
    TenantScopeViolation,
    enter_scope,
)
from siaga_platform.tenancy.unit_of_work import create_session_factory
from tests.fixtures.databases import ScratchDatabase


class WallBase(AsyncAttrs, DeclarativeBase):
    metadata = MetaData()


class StubTenant(WallBase):
    """Stands for the real ``tenants`` table so the mixin's foreign key resolves here."""

    __tablename__ = "tenants"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class Site(TenantScoped, WallBase):
    __tablename__ = "wall_sites"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(50))
    devices: Mapped[list[Device]] = relationship(back_populates="site", lazy="select")


class Device(TenantScoped, WallBase):
    __tablename__ = "wall_devices"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "site_id"], ["wall_sites.tenant_id", "wall_sites.id"]),
    )
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    site_id: Mapped[uuid.UUID]
    status: Mapped[str] = mapped_column(String(20))
    site: Mapped[Site] = relationship(back_populates="devices", lazy="select")


KAPUAS = uuid.UUID("00000000-0000-7000-8000-000000006203")
MURA = uuid.UUID("00000000-0000-7000-8000-000000006212")


@dataclass
class Wall:
    factory: async_sessionmaker[AsyncSession]
    mura_site: uuid.UUID
    mura_device: uuid.UUID
    kapuas_site: uuid.UUID

    async def session(self, scope: TenantScope | None) -> AsyncSession:
        session = self.factory()
        await enter_scope(session, scope)
        return session


@pytest.fixture
async def wall(db: ScratchDatabase) -> AsyncIterator[Wall]:
    # The wall's own tables, created by the owner; the wall is what is tested, not RLS.
    engine = create_engine(db.owner_url)
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda c: WallBase.metadata.create_all(c, tables=[Site.__table__, Device.__table__])
        )
    factory = create_session_factory(engine)
    ids = {}
    for tenant, name in ((MURA, "Kantor Puruk Cahu"), (KAPUAS, "Kantor Kuala Kapuas")):
        async with factory() as session:
            await enter_scope(session, TenantScope.single(tenant))
            await _ensure_tenant_row(session, tenant)
            site = Site(name=name)
            session.add(site)
            await session.flush()
            device = Device(site_id=site.id, status="down")
            session.add(device)
            await session.commit()
            ids[tenant] = (site.id, device.id)
    yield Wall(factory, ids[MURA][0], ids[MURA][1], ids[KAPUAS][0])
    await engine.dispose()


async def _ensure_tenant_row(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """The wall's tables point at the real registry: add the two tenants there."""
    from siaga_tenants.registry.models import Tenant

    if await session.get(Tenant, tenant_id) is None:
        code = "62.03" if tenant_id == KAPUAS else "62.12"
        session.add(
            Tenant(
                id=tenant_id,
                code=code,
                province_code="62",
                name=code,
                kind="kabupaten",
                population=1,
                timezone="WIB",
            )
        )
        await session.flush()


async def test_get_returns_nothing_for_another_tenant(wall: Wall) -> None:
    async with await wall.session(TenantScope.single(KAPUAS)) as kapuas:
        assert await kapuas.get(Site, (MURA, wall.mura_site)) is None
    async with await wall.session(TenantScope.single(MURA)) as mura:
        assert await mura.get(Site, (MURA, wall.mura_site)) is not None


async def test_select_and_join_see_only_own_rows(wall: Wall) -> None:
    async with await wall.session(TenantScope.single(KAPUAS)) as kapuas:
        names = (await kapuas.scalars(select(Site.name))).all()
        assert names == ["Kantor Kuala Kapuas"]
        joined = (await kapuas.execute(select(Device.id, Site.name).join(Device.site))).all()
        assert all(name == "Kantor Kuala Kapuas" for _, name in joined)
        assert len(joined) == 1
        # Joining on an explicit condition that names Murung Raya's site still finds nothing.
        rows = await kapuas.execute(
            select(Device).join(Site, Site.id == Device.site_id).where(Site.id == wall.mura_site)
        )
        assert rows.all() == []
        assert await kapuas.scalar(select(func.count()).select_from(Device)) == 1


async def test_eager_and_lazy_loads_are_filtered(wall: Wall) -> None:
    # A supervisor-like scope that reads both, then a Kapuas scope: loaders obey the scope.
    async with await wall.session(TenantScope.single(KAPUAS)) as kapuas:
        sites = (await kapuas.scalars(select(Site).options(selectinload(Site.devices)))).all()
        assert [d.tenant_id for s in sites for d in s.devices] == [KAPUAS]
        sites = (
            (await kapuas.scalars(select(Site).options(joinedload(Site.devices)))).unique().all()
        )
        assert {d.tenant_id for s in sites for d in s.devices} == {KAPUAS}
        site = (await kapuas.scalars(select(Site))).one()
        lazy_devices = await site.awaitable_attrs.devices
        assert {d.tenant_id for d in lazy_devices} == {KAPUAS}


async def test_bulk_update_and_delete_do_not_reach_another_tenant(wall: Wall) -> None:
    async with await wall.session(TenantScope.single(KAPUAS)) as kapuas:
        result = await kapuas.execute(
            update(Device).where(Device.id == wall.mura_device).values(status="up")
        )
        assert result.rowcount == 0  # type: ignore[attr-defined]
        result = await kapuas.execute(delete(Device).where(Device.id == wall.mura_device))
        assert result.rowcount == 0  # type: ignore[attr-defined]
        await kapuas.commit()
    async with await wall.session(TenantScope.single(MURA)) as mura:
        device = await mura.get(Device, (MURA, wall.mura_device))
        assert device is not None and device.status == "down"


async def test_insert_of_another_tenants_row_is_refused(wall: Wall) -> None:
    async with await wall.session(TenantScope.single(KAPUAS)) as kapuas:
        kapuas.add(Site(tenant_id=MURA, name="Kantor palsu"))
        with pytest.raises(TenantScopeViolation):
            await kapuas.flush()


async def test_new_rows_are_stamped_with_the_write_tenant(wall: Wall) -> None:
    async with await wall.session(TenantScope.single(KAPUAS)) as kapuas:
        site = Site(name="Kecamatan Selat")
        kapuas.add(site)
        await kapuas.flush()
        assert site.tenant_id == KAPUAS


async def test_read_only_scope_cannot_write(wall: Wall) -> None:
    async with await wall.session(TenantScope.read_only({KAPUAS, MURA})) as supervisor:
        assert await supervisor.scalar(select(func.count()).select_from(Site)) == 2
        device = await supervisor.get(Device, (MURA, wall.mura_device))
        assert device is not None
        device.status = "up"
        with pytest.raises(TenantScopeViolation):
            await supervisor.flush()
        await supervisor.rollback()
        result = await supervisor.execute(update(Device).values(status="up"))
        assert result.rowcount == 0  # type: ignore[attr-defined]


async def test_no_scope_is_refused(wall: Wall) -> None:
    async with await wall.session(None) as nobody:
        with pytest.raises(TenantScopeMissing):
            await nobody.scalars(select(Site))
        with pytest.raises(TenantScopeMissing):
            await nobody.get(Site, (MURA, wall.mura_site))
        with pytest.raises(TenantScopeMissing):
            await nobody.execute(delete(Device))
        nobody.add(Site(tenant_id=MURA, name="tanpa tenant"))
        with pytest.raises(TenantScopeMissing):
            await nobody.flush()


async def test_each_multi_tenant_scope_filters_by_its_own_ids(wall: Wall) -> None:
    """The wall builds one filter per scope and keeps it (national pages): a later scope with
    other ids must not be served an earlier scope's filter."""
    elsewhere = uuid.UUID("00000000-0000-7000-8000-000000006301")
    for ids, expected in (
        ({KAPUAS, MURA}, {"Kantor Puruk Cahu", "Kantor Kuala Kapuas"}),
        ({MURA, elsewhere}, {"Kantor Puruk Cahu"}),
        ({KAPUAS, elsewhere}, {"Kantor Kuala Kapuas"}),
        ({KAPUAS, MURA}, {"Kantor Puruk Cahu", "Kantor Kuala Kapuas"}),
    ):
        for scope in (TenantScope.read_only(ids), TenantScope.national(ids)):
            async with await wall.session(scope) as reader:
                assert set(await reader.scalars(select(Site.name))) == expected, (ids, scope)


@pytest.mark.postgres_only
async def test_scope_array_reaches_postgresql_as_a_uuid_array(db: ScratchDatabase) -> None:
    """The scope's pre-rendered array (db/uuid_array.py) arrives typed uuid[], every id intact."""
    from sqlalchemy import bindparam, text

    from siaga_platform.db.uuid_array import UuidArray, UuidArrayType

    ids = sorted({new_id() for _ in range(40)})
    engine = create_engine(db.owner_url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT pg_typeof(:ids)::text, :ids").bindparams(
                        bindparam("ids", UuidArray(ids), type_=UuidArrayType())
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    assert row[0] == "uuid[]"
    assert row[1] == ids
