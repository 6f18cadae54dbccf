"""The rules of telling people: who gets an inbox item and a message for an alert change, a
person's channels (checked before anything is saved), and the inbox. Services never commit."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts.models import Alert, EventKind
from siaga_platform.alerts.service import Change
from siaga_platform.delivery import repository
from siaga_platform.delivery.models import (
    AlertDelivery,
    Channel,
    InboxItem,
    InboxKind,
    NotifyPreference,
)
from siaga_platform.delivery.recipients import Audience
from siaga_platform.errors import InvalidInput, NotFound
from siaga_platform.notify import validation
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.tenancy.scope import TenantScope, system_scope

#: The changes people are told of (a level change or an acknowledgement is on the timeline).
TOLD = {
    EventKind.OPENED: InboxKind.OPENED,
    EventKind.ESCALATED: InboxKind.ESCALATED,
    EventKind.REMINDED: InboxKind.REMINDED,
    EventKind.RESOLVED: InboxKind.RESOLVED,
}


#: The field a webhook secret is sealed for (with its owner's subject).
WEBHOOK_SECRET = "webhook_secret"  # noqa: S105 - a field name, not a secret


def person_key(subject: str) -> str:
    """A short, stable token for a person in idempotency keys (their subject may hold any
    character; 12 hex digits never make a 16-digit run)."""
    return hashlib.sha256(subject.encode()).hexdigest()[:12]


def idempotency_key(
    alert_id: uuid.UUID, kind: InboxKind, step: int, at: datetime, subject: str, channel: Channel
) -> str:
    """The same for every try of one message, different for the next reminder."""
    moment = int(at.timestamp())
    return f"alert-{alert_id}:{kind.value}-{step}-{moment}:{person_key(subject)}:{channel.value}"


@dataclass(frozen=True, slots=True)
class Queued:
    """A delivery row just created: its job is deferred once the transaction commits."""

    tenant_id: uuid.UUID
    delivery_id: uuid.UUID
    idempotency_key: str


def default_preference(subject: str, email: str | None) -> dict[str, Any]:
    """Until a person saves their channels: the inbox, and e-mail to the registry's address."""
    return {"subject": subject, "email_on": email is not None, "email": email}


async def fan_out(
    db: AsyncSession, audience: Audience, changes: Sequence[Change], *, now: datetime
) -> list[Queued]:
    """Inbox items and delivery rows for ``changes`` of one regency (in its scope).

    Insert-if-absent on their unique keys: running the same changes again adds nothing. Opened,
    reminded and escalated go to everyone up to the alert's step; resolved to everyone who was
    told of it.
    """
    queued: list[Queued] = []
    for change in changes:
        kind = TOLD.get(change.kind)
        if kind is None or change.tenant_id != audience.tenant_id:
            continue
        if kind is InboxKind.RESOLVED:
            steps = dict(await repository.told_about(db, change.alert_id))
            emails = {r.subject: r.email for r in audience.recipients}
            people = [(subject, emails.get(subject)) for subject in steps]
        else:
            people = [(r.subject, r.email) for r in audience.at_step(change.escalation_step)]
        if not people:
            continue
        await repository.add_preferences_if_absent(
            db, [default_preference(subject, email) for subject, email in people]
        )
        chosen = await repository.preferences(db, (subject for subject, _ in people))
        await repository.add_inbox_items_if_absent(
            db,
            [
                {
                    "id": uuid.uuid4(),
                    "tenant_id": change.tenant_id,
                    "alert_id": change.alert_id,
                    "recipient": subject,
                    "kind": kind.value,
                    "step": change.escalation_step,
                    "event_at": now,
                    "created_at": now,
                }
                for subject, _ in people
            ],
        )
        rows = []
        for subject, _ in people:
            preference = chosen.get(subject)
            for channel in Channel:
                if preference is None or not preference.is_on(channel):
                    continue
                key = idempotency_key(
                    change.alert_id, kind, change.escalation_step, now, subject, channel
                )
                rows.append(
                    {
                        "id": uuid.uuid4(),
                        "tenant_id": change.tenant_id,
                        "alert_id": change.alert_id,
                        "recipient": subject,
                        "channel": channel.value,
                        "kind": kind.value,
                        "step": change.escalation_step,
                        "idempotency_key": key,
                        "status": "queued",
                        "attempts": 0,
                        "created_at": now,
                    }
                )
        for delivery_id, key in await repository.add_deliveries_if_absent(db, rows):
            queued.append(Queued(change.tenant_id, delivery_id, key))
    return queued


@dataclass(frozen=True, slots=True)
class PreferenceForm:
    """What the profile page sends (strings as typed; checkboxes as booleans)."""

    email_on: bool = False
    email: str = ""
    webhook_on: bool = False
    webhook_url: str = ""
    webhook_secret: str = ""
    telegram_on: bool = False
    telegram_chat_id: str = ""


async def preference_of(db: AsyncSession, subject: str) -> NotifyPreference | None:
    return await repository.preference(db, subject)


async def save_preferences(
    db: AsyncSession,
    subject: str,
    form: PreferenceForm,
    *,
    allow_private_webhooks: bool,
    cipher: FieldCipher,
    now: datetime,
) -> NotifyPreference:
    """Check every field first (``InvalidInput`` naming it, nothing saved), then save.

    An empty webhook secret keeps the one saved before (the form never shows it again); a
    secret is stored sealed with the field keys, never as typed.
    Saving a channel clears its failing flag: the person has just looked at it.
    """
    existing = await repository.preference(db, subject, for_update=True)
    email = form.email.strip() or None
    if email is not None or form.email_on:
        email = validation.validate_email(form.email, field="email")
    url = form.webhook_url.strip() or None
    secret = form.webhook_secret or (existing.webhook_secret if existing else None)
    if url is not None or form.webhook_on:
        url = await asyncio.to_thread(  # resolves the name: blocking
            validation.validate_webhook_url,
            form.webhook_url,
            allow_private=allow_private_webhooks,
            field="webhook_url",
        )
        if secret is None:
            raise InvalidInput(
                "Isi kunci rahasia webhook: penerima memakainya untuk memeriksa tanda tangan.",
                field="webhook_secret",
            )
    if form.webhook_secret:
        typed = validation.validate_webhook_secret(form.webhook_secret, field="webhook_secret")
        secret = cipher.seal(typed, owner=subject, field=WEBHOOK_SECRET)
    chat = form.telegram_chat_id.strip() or None
    if chat is not None or form.telegram_on:
        chat = validation.validate_telegram_chat_id(form.telegram_chat_id, field="telegram_chat_id")
    preference = existing or NotifyPreference(subject=subject)
    if existing is None:
        db.add(preference)
    preference.email_on, preference.email = form.email_on, email
    preference.webhook_on, preference.webhook_url = form.webhook_on, url
    preference.webhook_secret = secret if url is not None else None
    preference.telegram_on, preference.telegram_chat_id = form.telegram_on, chat
    preference.email_failing_since = None
    preference.webhook_failing_since = None
    preference.telegram_failing_since = None
    preference.last_failure = None
    preference.updated_at = now
    await db.flush()
    return preference


# The inbox. ``reach`` is every regency the person may read (the web knows it from their
# membership); items live in the alert's regency, so each read runs over all of them at once.
INBOX_PAGE = 100


async def inbox(
    db: AsyncSession, subject: str, reach: frozenset[uuid.UUID]
) -> Sequence[tuple[InboxItem, Alert]]:
    if not reach:
        return []
    async with system_scope(db, TenantScope.read_only(reach), why="delivery.service.inbox"):
        return await repository.inbox_with_alerts(db, subject, INBOX_PAGE)


async def unread(db: AsyncSession, subject: str, reach: frozenset[uuid.UUID]) -> int:
    """One count over the person's regencies (the header's badge)."""
    if not reach:
        return 0
    async with system_scope(db, TenantScope.read_only(reach), why="delivery.service.unread"):
        return await repository.unread_count(db, subject)


async def mark_read(
    db: AsyncSession,
    subject: str,
    reach: frozenset[uuid.UUID],
    *,
    now: datetime,
    item_id: uuid.UUID | None = None,
) -> int:
    """Mark one of the person's own items (or all of them) read; how many changed.

    Only ``read_at`` of the person's own rows is written, in the one regency each row belongs
    to: a supervisor who may only read a regency still marks their own item there.
    """
    if not reach:
        return 0
    async with system_scope(db, TenantScope.read_only(reach), why="delivery.service.mark_read"):
        if item_id is not None:
            item = await repository.inbox_item(db, subject, item_id)
            if item is None:
                raise NotFound("Pesan tidak ditemukan di kotak masuk Anda.")
            tenants = [item.tenant_id]
        else:
            tenants = await repository.tenants_with_unread(db, subject)
    changed = 0
    for tenant_id in tenants:
        async with system_scope(
            db, TenantScope.single(tenant_id), why="delivery.service.mark_read"
        ):
            changed += await repository.mark_read(db, subject, now, item_id)
    return changed


async def recent_deliveries(
    db: AsyncSession,
    tenants: frozenset[uuid.UUID],
    limit: int = 200,
    *,
    alert_id: uuid.UUID | None = None,
) -> Sequence[AlertDelivery]:
    """The delivery log across ``tenants`` (or of one alert), newest first: for the platform's
    admins, and for an alert's page (in the alert's own scope, ``tenants`` its regency)."""
    if not tenants:
        return []
    async with system_scope(
        db, TenantScope.read_only(tenants), why="delivery.service.recent_deliveries"
    ):
        return await repository.recent_deliveries(db, limit, alert_id)


#: A queued delivery nobody took this long after it was due has lost its job.
OVERDUE_AFTER = timedelta(minutes=2)
CATCH_UP_LIMIT = 1000


async def overdue(db: AsyncSession, *, now: datetime) -> list[Queued]:
    """Deliveries whose job was lost, across every regency (the tick queues them again; the
    queueing lock and the row's claim keep that from sending anything twice)."""
    ids = await repository.regency_ids(db)
    if not ids:
        return []
    async with system_scope(db, TenantScope.read_only(set(ids)), why="delivery.service.overdue"):
        rows = await repository.overdue_deliveries(db, now - OVERDUE_AFTER, CATCH_UP_LIMIT)
    return [Queued(d.tenant_id, d.id, d.idempotency_key) for d in rows]
