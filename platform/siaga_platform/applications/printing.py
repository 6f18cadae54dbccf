"""The seam between printing a card and the blank-card stock.

Printing (print queued → printed) goes through ``service.print_card`` only, which asks a
``CardStock`` to take one blank card (and the ribbon share) in the same transaction. The app
uses the ledger's ``LedgerCardStock`` (siaga_platform.stock.ledger), which refuses the print
when no card or ribbon is left; ``StockNotTracked`` takes nothing (tests of the pipeline).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class CardStock(Protocol):
    async def take_for_print(
        self,
        db: AsyncSession,
        *,
        tenant_id: uuid.UUID,
        application_id: uuid.UUID,
        actor: str,
        now: datetime,
    ) -> None:
        """Take one card for this print, or raise a DomainError (e.g. out of stock)."""


class StockNotTracked:
    async def take_for_print(
        self,
        db: AsyncSession,
        *,
        tenant_id: uuid.UUID,
        application_id: uuid.UUID,
        actor: str,
        now: datetime,
    ) -> None:
        return None
