"""Who is told of a regency's alert: the tenant registry answers (the core cannot import it, so
the worker passes an ``AudienceSource`` in, like the evaluator's ``RegencySource``)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

#: The regency's staff (operators and the head of office) from the first message.
STEP_REGENCY = 0
#: The province's supervisors, once nobody at the regency acknowledged in time.
STEP_PROVINCE = 1
#: The platform's admins (national), the last step.
STEP_PLATFORM = 2


@dataclass(frozen=True, slots=True)
class Recipient:
    subject: str
    #: The escalation step from which this person is told (their widest membership counts).
    step: int
    #: The address the registry knows, the default of the e-mail channel.
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Audience:
    """A regency as its messages name it, and everyone who may be told of its alerts."""

    tenant_id: uuid.UUID
    code: str
    name: str
    zone: str  # WIB, WITA or WIT
    recipients: tuple[Recipient, ...] = ()

    def at_step(self, step: int) -> list[Recipient]:
        return [r for r in self.recipients if r.step <= step]


AudienceSource = Callable[[AsyncSession, uuid.UUID], Awaitable[Audience | None]]
