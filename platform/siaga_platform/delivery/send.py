"""One delivery through its channel: the body of the ``alerts.deliver`` job.

Exactly once, as far as a channel allows: the row is claimed in a short transaction (its
``next_attempt_at`` becomes a lease), so a second job for the same delivery, on another worker,
finds it in hand or already sent and sends nothing; a crashed worker's lease runs out and the
next try takes it. The message is composed from the alert and the regency, never from a person's
data: the address is read at send time and stays out of the log.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from cryptography.exceptions import InvalidTag
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from siaga_platform.alerts import repository as alerts
from siaga_platform.alerts.models import RULE_TITLES, Alert, Rule
from siaga_platform.config import Settings
from siaga_platform.delivery import repository
from siaga_platform.delivery.models import (
    AlertDelivery,
    Channel,
    DeliveryStatus,
    InboxKind,
    NotifyPreference,
)
from siaga_platform.delivery.recipients import Audience, AudienceSource
from siaga_platform.delivery.service import WEBHOOK_SECRET
from siaga_platform.notify.email import SmtpSettings, send_email, smtp_settings
from siaga_platform.notify.failures import DeliveryFailed, retry_delay
from siaga_platform.notify.message import Level, Notice, compose_notice
from siaga_platform.notify.telegram import send_telegram
from siaga_platform.notify.webhook import send_webhook
from siaga_platform.observability.metrics import DELIVERIES
from siaga_platform.privacy.crypto import FieldCipher, KeyConfigError, cipher_from_settings
from siaga_platform.tenancy.scope import TenantScope, enter_system_scope
from siaga_platform.tenancy.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

#: Tries of one message before it is marked failed (with the backoff: about an hour in all).
MAX_ATTEMPTS = 6
#: How long a worker holds a delivery it is sending (the channels time out well before).
LEASE = timedelta(minutes=5)

KIND_PREFIX = {
    InboxKind.OPENED: "",
    InboxKind.REMINDED: "Pengingat: ",
    InboxKind.ESCALATED: "Eskalasi: ",
    InboxKind.RESOLVED: "Pulih: ",
}
STEP_LABEL = {0: "staf kabupaten/kota", 1: "supervisor provinsi", 2: "admin platform"}


@dataclass(frozen=True)
class ChannelSettings:
    """What the channels need from the process settings (the worker builds it)."""

    base_url: str = "http://127.0.0.1:8000"
    smtp: SmtpSettings = field(default_factory=lambda: SmtpSettings(host=None))
    webhook_allow_private: bool = False
    telegram_api_base: str = "https://api.telegram.org"
    telegram_bot_token: str | None = None
    #: Opens the webhook secrets sealed on the profile page (the field keys).
    cipher: FieldCipher | None = None


def channel_settings(settings: Settings) -> ChannelSettings:
    token = settings.telegram_bot_token
    return ChannelSettings(
        base_url=settings.base_url,
        smtp=smtp_settings(settings),
        webhook_allow_private=settings.webhook_allow_private,
        telegram_api_base=settings.telegram_api_base,
        telegram_bot_token=(token.get_secret_value() if token is not None else "") or None,
        cipher=cipher_from_settings(settings),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    status: DeliveryStatus | None  # None: nothing done (already sent, or in another's hands)
    retry_in: float | None = None  # seconds until the next try, when one is due


def alert_link(base_url: str, code: str, alert_id: uuid.UUID) -> str:
    return f"{base_url.rstrip('/')}/wilayah/{code}/peringatan/{alert_id}"


def compose(
    alert: Alert, audience: Audience, kind: InboxKind, step: int, key: str, base_url: str
) -> Notice:
    """The message of one alert change: rule, level, summary, regency, time, link."""
    title = RULE_TITLES.get(Rule(alert.rule), "Peringatan")
    subject = f"{KIND_PREFIX[kind]}{title}, {audience.name}"
    lines = [alert.summary]
    if alert.subject_label:
        lines.append(f"Lokasi: {alert.subject_label}")
    if kind is InboxKind.ESCALATED:
        lines.append(
            f"Belum ada yang menanggapi; diteruskan ke {STEP_LABEL.get(step, 'admin platform')}."
        )
    if kind is InboxKind.RESOLVED:
        lines = [f"Sudah pulih: {alert.summary}"]
    occurred = alert.resolved_at if kind is InboxKind.RESOLVED else None
    return compose_notice(
        subject=subject,
        level=Level.PULIH if kind is InboxKind.RESOLVED else Level(alert.level),
        lines=lines,
        idempotency_key=key,
        occurred_at=occurred or alert.last_seen_at,
        zone=audience.zone,
        facts={
            "Wilayah": f"{audience.name} ({audience.code})",
            "Tingkat": str(alert.level).upper(),
        },
        link=alert_link(base_url, audience.code, alert.id),
        event=f"alert.{kind.value}",
    )


def _webhook_secret(settings: ChannelSettings, preference: NotifyPreference) -> str:
    sealed = preference.webhook_secret or ""
    try:
        if settings.cipher is None:
            raise KeyConfigError("no field keys")
        return settings.cipher.unseal(sealed, owner=preference.subject, field=WEBHOOK_SECRET)
    except (KeyConfigError, InvalidTag, ValueError) as error:
        raise DeliveryFailed(
            "Kunci rahasia webhook tidak dapat dibuka (kunci enkripsi berganti?): isi ulang "
            "kunci rahasia di halaman profil.",
            retryable=False,
        ) from error


async def send_on_channel(
    settings: ChannelSettings, channel: Channel, preference: NotifyPreference, notice: Notice
) -> None:
    off = DeliveryFailed("Saluran ini dimatikan atau alamatnya kosong di profil.", retryable=False)
    if not preference.is_on(channel):
        raise off
    if channel is Channel.EMAIL:
        if not preference.email:
            raise off
        await send_email(settings.smtp, preference.email, notice)
    elif channel is Channel.WEBHOOK:
        if not preference.webhook_url or not preference.webhook_secret:
            raise off
        await send_webhook(
            preference.webhook_url,
            _webhook_secret(settings, preference),
            notice,
            allow_private=settings.webhook_allow_private,
        )
    else:
        if not preference.telegram_chat_id:
            raise off
        if not settings.telegram_bot_token:
            raise DeliveryFailed(
                "Bot Telegram belum diatur (SIAGA_TELEGRAM_BOT_TOKEN).", retryable=False
            )
        await send_telegram(
            settings.telegram_api_base,
            settings.telegram_bot_token,
            preference.telegram_chat_id,
            notice,
        )


async def _claim(
    db: AsyncSession, audiences: AudienceSource, delivery_id: uuid.UUID, now: datetime
) -> tuple[AlertDelivery, Alert, Audience, NotifyPreference | None] | float | None:
    """The delivery, taken in hand; seconds to wait when it is not due; None when done."""
    delivery = await repository.delivery(db, delivery_id, for_update=True)
    if delivery is None or delivery.status != DeliveryStatus.QUEUED:
        return None
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
        return (delivery.next_attempt_at - now).total_seconds()
    alert = await alerts.get(db, delivery.alert_id)
    audience = await audiences(db, delivery.tenant_id)
    if alert is None or audience is None:
        delivery.status = DeliveryStatus.FAILED
        delivery.last_error = "Peringatan atau wilayahnya tidak ditemukan."
        return None
    delivery.attempts += 1
    delivery.next_attempt_at = now + LEASE
    await db.flush()
    return delivery, alert, audience, await repository.preference(db, delivery.recipient)


async def deliver(
    factory: async_sessionmaker[AsyncSession],
    audiences: AudienceSource,
    settings: ChannelSettings,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> Outcome:
    async with unit_of_work(factory) as db:
        await enter_system_scope(db, TenantScope.single(tenant_id), why="delivery.send.deliver")
        claimed = await _claim(db, audiences, delivery_id, now)
    if claimed is None:
        return Outcome(None)
    if isinstance(claimed, float):
        return Outcome(None, retry_in=claimed)
    delivery, alert, audience, preference = claimed
    kind = InboxKind(delivery.kind)
    failure = await try_to_send(
        settings,
        Channel(delivery.channel),
        preference,
        lambda: compose(
            alert, audience, kind, delivery.step, delivery.idempotency_key, settings.base_url
        ),
        what=f"delivery {delivery_id}",
    )
    # Jitter only spreads retries; it guards nothing.
    jitter = rng or random.Random()  # noqa: S311
    return await _record(factory, tenant_id, delivery_id, failure, now, jitter)


async def try_to_send(
    settings: ChannelSettings,
    channel: Channel,
    preference: NotifyPreference | None,
    notice_of: Callable[[], Notice],
    *,
    what: str,
) -> DeliveryFailed | None:
    """One try of one message: None when it went, else why not (never raises)."""
    try:
        notice = notice_of()
        if preference is None:
            raise DeliveryFailed("Penerima belum memiliki pengaturan saluran.", retryable=False)
        await send_on_channel(settings, channel, preference, notice)
    except DeliveryFailed as error:
        return error
    except Exception as error:  # a bug must not leave the lease to stand in for a retry
        log.exception("%s: unexpected failure", what)
        return DeliveryFailed(f"Kesalahan tak terduga ({type(error).__name__}).", retryable=True)
    return None


async def _record(
    factory: async_sessionmaker[AsyncSession],
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    failure: DeliveryFailed | None,
    started: datetime,
    rng: random.Random,
) -> Outcome:
    async with unit_of_work(factory) as db:
        await enter_system_scope(db, TenantScope.single(tenant_id), why="delivery.send._record")
        delivery = await repository.delivery(db, delivery_id, for_update=True)
        assert delivery is not None
        preference = await repository.preference(db, delivery.recipient, for_update=True)
        channel = Channel(delivery.channel)
        return record_outcome(delivery, preference, channel, failure, started, rng)


class Attempted(Protocol):
    """A delivery row of any kind (an alert's message, a morning digest)."""

    status: DeliveryStatus
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None


def record_outcome(
    delivery: Attempted,
    preference: NotifyPreference | None,
    channel: Channel,
    failure: DeliveryFailed | None,
    started: datetime,
    rng: random.Random,
) -> Outcome:
    """Sent, or failed with why: retried after the backoff while it may pass, and the person's
    channel flagged as failing until a message goes through (the profile page shows it)."""
    outcome = _outcome(delivery, preference, channel, failure, started, rng)
    if outcome.status is not None:
        DELIVERIES.labels(channel.value, outcome.status.value).inc()
    return outcome


def _outcome(
    delivery: Attempted,
    preference: NotifyPreference | None,
    channel: Channel,
    failure: DeliveryFailed | None,
    started: datetime,
    rng: random.Random,
) -> Outcome:
    if failure is None:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = started
        delivery.next_attempt_at = None
        delivery.last_error = None
        if preference is not None:
            setattr(preference, f"{channel.value}_failing_since", None)
        return Outcome(DeliveryStatus.SENT)
    delivery.last_error = failure.reason[:400]
    if preference is not None:
        if preference.failing_since(channel) is None:
            setattr(preference, f"{channel.value}_failing_since", started)
        preference.last_failure = f"{channel.value}: {failure.reason}"[:400]
    if failure.retryable and delivery.attempts < MAX_ATTEMPTS:
        wait = retry_delay(failure, delivery.attempts, rng=rng)
        delivery.next_attempt_at = started + timedelta(seconds=wait)
        return Outcome(DeliveryStatus.QUEUED, retry_in=wait)
    delivery.status = DeliveryStatus.FAILED
    delivery.next_attempt_at = None
    return Outcome(DeliveryStatus.FAILED)
