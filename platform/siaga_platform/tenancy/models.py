"""The mixin that marks a model as tenant-owned."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


class TenantScoped:
    """Every tenant-owned model: ``tenant_id`` leads its primary key (Citus-ready).

    Subclasses declare ``id`` as the second primary-key column; foreign keys to other tenant
    tables are composite ``(tenant_id, x_id)``. The tenancy wall filters and stamps it.
    """

    @declared_attr
    @classmethod
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            ForeignKey("tenants.id", ondelete="RESTRICT"), primary_key=True, sort_order=-10
        )
