"""The seam between handing a card over and the substitute letters.

When an applicant's card is issued, a letter still in force is revoked and counted as converted
(the ministry asks offices to convert letters into cards). ``service.move`` calls a
``CardHandover`` for that in the move's own transaction; the app and the tests use the letters'
``LetterConversion`` (siaga_platform.letters.conversion).
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
