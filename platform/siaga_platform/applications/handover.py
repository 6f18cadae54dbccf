"""The seam between an application's end and the substitute letters.

When an applicant's card is issued, a letter still in force is revoked and counted as converted
(the ministry asks offices to convert letters into cards). When the application is cancelled,
found a duplicate or must be recorded again, the letter no longer stands for a valid
recording and is revoked. ``service.move`` calls a ``CardHandover`` for both in the move's own
transaction; the app and the tests use the letters' ``LetterConversion``
(siaga_platform.letters.service).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from siaga_platform.applications.models import Application


class CardHandover(Protocol):
    async def card_issued(
        self, db: AsyncSession, application: Application, *, actor: str, now: datetime
    ) -> None:
        """The applicant now holds the card: settle what depended on its absence."""

    async def recording_void(
        self,
        db: AsyncSession,
        application: Application,
        *,
        reason: str,
        actor: str,
        now: datetime,
    ) -> None:
        """The recording no longer stands (cancelled, duplicate, to be recorded again)."""
