"""Sending the morning digest: one row per (province, day, supervisor, channel) claims it, so
it goes once however many workers run and however often the due check repeats; each row is
then sent by its own job like an alert's message (retries with backoff, the log, the failing
channel flagged on the profile page)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.alerts.digest import DigestProvince, ProvinceSource, compose_digest, read_digest
from siaga_platform.delivery import repository
from siaga_platform.delivery.models import Channel, DeliveryStatus, DigestDelivery
from siaga_platform.delivery.send import (
    LEASE,
    ChannelSettings,
    Outcome,
    record_outcome,
    try_to_send,
)
from siaga_platform.delivery.service import default_preference, person_key
from siaga_platform.notify.failures import DeliveryFailed
from siaga_platform.tenancy.unit_of_work import unit_of_work


@dataclass(frozen=True, slots=True)
class DigestJob:
    province_code: str
    day: date
    recipient: str
    channel: Channel

    @property
    def key(self) -> str:
        """The idempotency key of the message (the same for every try)."""
        return (
            f"digest-{self.province_code}:{self.day.isoformat()}:"
            f"{person_key(self.recipient)}:{self.channel.value}"
        )


async def queue_digest(
    db: AsyncSession, province: DigestProvince, day: date, *, now: datetime
) -> list[DigestJob]:
    """The rows of the province's digest of ``day`` (added if absent: a second call adds
    nothing), and those of them still waiting to be sent and due now."""
    people = [(s.subject, s.email) for s in province.supervisors]
    if people:
        await repository.add_preferences_if_absent(
            db, [default_preference(subject, email) for subject, email in people]
        )
    chosen = await repository.preferences(db, (subject for subject, _ in people))
    rows = [
        {
            "province_code": province.code,
            "day": day,
            "recipient": subject,
            "channel": channel.value,
            "status": DeliveryStatus.QUEUED.value,
            "created_at": now,
        }
        for subject, _ in people
        for channel in Channel
        if (preference := chosen.get(subject)) is not None and preference.is_on(channel)
    ]
    await repository.add_digest_rows_if_absent(db, rows)
    waiting = await repository.digest_rows_due(db, province.code, day, now)
    return [DigestJob(d.province_code, d.day, d.recipient, Channel(d.channel)) for d in waiting]


async def _claim(db: AsyncSession, job: DigestJob, now: datetime) -> DigestDelivery | float | None:
    row = await repository.digest_row(
        db, job.province_code, job.day, job.recipient, job.channel.value
    )
    if row is None or row.status != DeliveryStatus.QUEUED:
        return None
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return (row.next_attempt_at - now).total_seconds()
    row.attempts += 1
    row.next_attempt_at = now + LEASE
    await db.flush()
    return row


async def send_digest(
    factory: async_sessionmaker[AsyncSession],
    provinces: ProvinceSource,
    settings: ChannelSettings,
    job: DigestJob,
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> Outcome:
    """Compose the province's digest as it stands now and send it to one person."""
    async with unit_of_work(factory) as db:
        claimed = await _claim(db, job, now)
        if claimed is None:
            return Outcome(None)
        if isinstance(claimed, float):
            return Outcome(None, retry_in=claimed)
        province = next((p for p in await provinces(db, now) if p.code == job.province_code), None)
        digest = await read_digest(db, province, now) if province is not None else None
        preference = await repository.preference(db, job.recipient)
    if province is None or digest is None:
        failure: DeliveryFailed | None = DeliveryFailed(
            "Provinsi ini tidak lagi memiliki kabupaten/kota aktif.", retryable=False
        )
    else:
        notice_of = partial(
            compose_digest,
            province,
            digest,
            day=job.day,
            now=now,
            base_url=settings.base_url,
            key=job.key,
        )
        failure = await try_to_send(
            settings, job.channel, preference, notice_of, what=f"digest {job.key}"
        )
    jitter = rng or random.Random()  # noqa: S311 - spreads retries, guards nothing
    async with unit_of_work(factory) as db:
        row = await repository.digest_row(
            db, job.province_code, job.day, job.recipient, job.channel.value
        )
        assert row is not None
        preference = await repository.preference(db, job.recipient, for_update=True)
        return record_outcome(row, preference, job.channel, failure, now, jitter)
