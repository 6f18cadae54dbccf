"""A person's inbox, their notification channels, and the delivery log for platform admins."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.alerts.models import RULE_TITLES
from siaga_platform.auth.permissions import Permission
from siaga_platform.auth.principal import Principal
from siaga_platform.delivery import service
from siaga_platform.delivery.models import Channel, NotifyPreference
from siaga_platform.errors import InvalidInput
from siaga_tenants.memberships import service as memberships
from siaga_tenants.regions.codes import province_timezone
from siaga_tenants.registry import service as registry
from siaga_web import clock
from siaga_web.csrf import verify_csrf
from siaga_web.deps import DbSession, requires
from siaga_web.inbox import reach_of
from siaga_web.labels import CHANNEL_LABELS, DELIVERY_STATUS_LABELS, NOTIFICATION_KIND_LABELS
from siaga_web.runtime import runtime
from siaga_web.templating import render

router = APIRouter(tags=["notifications"])
Self = Annotated[Principal, Depends(requires(Permission.VIEW_SELF))]
NationalViewer = Annotated[Principal, Depends(requires(Permission.VIEW_NATIONAL))]
Csrf = Depends(verify_csrf)


async def _regencies(db: AsyncSession) -> dict[uuid.UUID, Any]:
    return {row.id: row for row in await registry.directory(db)}


@router.get("/kotak-masuk")
async def inbox_page(request: Request, db: DbSession, principal: Self) -> Response:
    reach = await reach_of(db, principal)
    lines = await service.inbox(db, principal.subject, reach)
    return render(
        request,
        "pages/notifications/inbox.html",
        {
            "lines": lines,
            "regencies": await _regencies(db) if lines else {},
            "rule_titles": RULE_TITLES,
            "kind_labels": NOTIFICATION_KIND_LABELS,
        },
    )


@router.post("/kotak-masuk/dibaca-semua", dependencies=[Csrf])
async def mark_all_read(db: DbSession, principal: Self) -> Response:
    reach = await reach_of(db, principal)
    await service.mark_read(db, principal.subject, reach, now=clock.now())
    return RedirectResponse("/kotak-masuk", status_code=303)


@router.post("/kotak-masuk/{item_id}/dibaca", dependencies=[Csrf])
async def mark_one_read(db: DbSession, principal: Self, item_id: uuid.UUID) -> Response:
    reach = await reach_of(db, principal)
    await service.mark_read(db, principal.subject, reach, now=clock.now(), item_id=item_id)
    return RedirectResponse("/kotak-masuk", status_code=303)


async def _form_from(db: AsyncSession, principal: Principal) -> service.PreferenceForm:
    saved = await service.preference_of(db, principal.subject)
    if saved is None:
        user = await memberships.user(db, principal.subject)
        email = user.email if user is not None and user.email else ""
        return service.PreferenceForm(email_on=bool(email), email=email)
    return service.PreferenceForm(
        email_on=saved.email_on,
        email=saved.email or "",
        webhook_on=saved.webhook_on,
        webhook_url=saved.webhook_url or "",
        telegram_on=saved.telegram_on,
        telegram_chat_id=saved.telegram_chat_id or "",
    )


def _profile(
    request: Request,
    form: service.PreferenceForm,
    saved: NotifyPreference | None,
    principal: Principal,
    *,
    error: InvalidInput | None = None,
    done: bool = False,
) -> Response:
    failing = {
        channel.value: saved.failing_since(channel)
        for channel in Channel
        if saved is not None and saved.failing_since(channel) is not None
    }
    return render(
        request,
        "pages/notifications/profile.html",
        {
            "form": form,
            "has_secret": bool(saved and saved.webhook_secret),
            "failing": failing,
            "last_failure": saved.last_failure if saved else None,
            "channel_labels": CHANNEL_LABELS,
            # The person's own zone (their province's; a platform admin reads WIB).
            "zone": province_timezone(principal.province_code).value
            if principal.province_code
            else "WIB",
            "error": error,
            "done": done,
        },
        status_code=error.status_code if error else 200,
    )


@router.get("/profil/notifikasi")
async def profile_page(request: Request, db: DbSession, principal: Self) -> Response:
    saved = await service.preference_of(db, principal.subject)
    done = request.query_params.get("tersimpan") == "1"
    return _profile(request, await _form_from(db, principal), saved, principal, done=done)


@router.post("/profil/notifikasi", dependencies=[Csrf])
async def save_profile(
    request: Request,
    db: DbSession,
    principal: Self,
    email: Annotated[str, Form(max_length=254)] = "",
    webhook_url: Annotated[str, Form(max_length=2000)] = "",
    webhook_secret: Annotated[str, Form(max_length=200)] = "",
    telegram_chat_id: Annotated[str, Form(max_length=40)] = "",
    email_on: Annotated[bool, Form()] = False,
    webhook_on: Annotated[bool, Form()] = False,
    telegram_on: Annotated[bool, Form()] = False,
) -> Response:
    form = service.PreferenceForm(
        email_on=email_on,
        email=email,
        webhook_on=webhook_on,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        telegram_on=telegram_on,
        telegram_chat_id=telegram_chat_id,
    )
    try:
        async with db.begin_nested():
            await service.save_preferences(
                db,
                principal.subject,
                form,
                allow_private_webhooks=runtime(request.app).settings.webhook_allow_private,
                cipher=runtime(request.app).cipher,
                now=clock.now(),
            )
    except InvalidInput as refused:
        saved = await service.preference_of(db, principal.subject)
        # The secret is never sent back to the browser.
        shown = replace(form, webhook_secret="")
        return _profile(request, shown, saved, principal, error=refused)
    return RedirectResponse("/profil/notifikasi?tersimpan=1", status_code=303)


@router.get("/nasional/pengiriman")
async def delivery_log(
    request: Request,
    db: DbSession,
    principal: NationalViewer,
    peringatan: uuid.UUID | None = None,
) -> Response:
    """Recent messages, or those of one alert (``?peringatan=<id>``)."""
    regencies = await _regencies(db)
    log = await service.recent_deliveries(db, frozenset(regencies), alert_id=peringatan)
    return render(
        request,
        "pages/notifications/deliveries.html",
        {
            "log": log,
            "regencies": regencies,
            "status_labels": DELIVERY_STATUS_LABELS,
            "channel_labels": CHANNEL_LABELS,
            "kind_labels": NOTIFICATION_KIND_LABELS,
            "alert_id": peringatan,
        },
    )
