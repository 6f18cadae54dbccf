"""A signed webhook: one JSON POST per message, for a province's own bridge (WhatsApp, its
dashboard, a ticket system).

The receiver checks, before trusting the body:

- ``X-Siaga-Signature: sha256=<hex>``: HMAC-SHA256 with the shared secret over the bytes
  ``<X-Siaga-Timestamp>.<raw body>`` (compare in constant time);
- ``X-Siaga-Timestamp``: unix seconds; refuse one more than 5 minutes away from its own clock
  (a captured request cannot be replayed later);
- ``Idempotency-Key``: the same for every try of the same message; a receiver that has seen it
  answers 2xx and does nothing (two tries may both arrive when an answer was lost).

``verify_signature`` does the first two. Redirects are not followed (the signature is for the
address configured, and a redirect could point inside the network); the target's addresses are
checked again at each send, since DNS may answer differently than when it was saved, and the
connection goes to the very address checked (no second lookup in between).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import urllib.request
from datetime import UTC, datetime
from typing import Any

import httpx

from siaga_platform.errors import InvalidInput
from siaga_platform.notify.failures import DeliveryFailed, parse_retry_after
from siaga_platform.notify.message import Level, Notice, assert_no_personal_data
from siaga_platform.notify.validation import HostNotFound, IpAddress, resolve_webhook_target

TIMEOUT_SECONDS = 10.0
SIGNATURE_TOLERANCE_SECONDS = 300
USER_AGENT = "Siaga-Webhook/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, ``timestamp.body``)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature_header: str,
    *,
    now: float,
    tolerance: float = SIGNATURE_TOLERANCE_SECONDS,
) -> bool:
    """True when ``signature_header`` signs ``body`` at ``timestamp`` and the timestamp lies
    within ``tolerance`` seconds of ``now`` (unix seconds)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), signature_header)


def webhook_body(notice: Notice, *, sent_at: datetime) -> bytes:
    """The JSON the receiver reads (UTF-8, compact)."""
    payload: dict[str, Any] = {
        "event": notice.event,
        "idempotency_key": notice.idempotency_key,
        "level": Level(notice.level).value,
        "subject": notice.subject,
        "text": notice.text,
        "link": notice.link,
        "facts": dict(notice.facts),
        "occurred_at": _iso(notice.occurred_at) if notice.occurred_at else None,
        "zone": notice.zone,
        "sent_at": _iso(sent_at),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def send_webhook(
    url: str,
    secret: str,
    notice: Notice,
    *,
    allow_private: bool,
    client: httpx.AsyncClient | None = None,
    now: datetime | None = None,
) -> None:
    """POST ``notice`` to ``url``, signed; return on a 2xx answer.

    Raises ``DeliveryFailed``: retryable on a time-out, a refused connection, 408, 429 or 5xx
    (carrying ``Retry-After``); not on another 4xx, a redirect, or a target that now resolves
    to a refused address.
    """
    assert_no_personal_data(notice)
    if not secret:
        raise DeliveryFailed(
            "Kunci rahasia webhook kosong: pesan tidak dapat ditandatangani.", retryable=False
        )
    try:
        addresses = await resolve_webhook_target(url, allow_private=allow_private)
    except HostNotFound:
        raise DeliveryFailed(
            "Nama server webhook tidak ditemukan (DNS); akan dicoba lagi.", retryable=True
        ) from None
    except InvalidInput as refusal:
        raise DeliveryFailed(refusal.message, retryable=False) from None

    sent_at = now or datetime.now(UTC)
    body = webhook_body(notice, sent_at=sent_at)
    timestamp = str(int(sent_at.timestamp()))
    target = httpx.URL(url.strip())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Siaga-Event": notice.event,
        "X-Siaga-Timestamp": timestamp,
        "X-Siaga-Signature": signature(secret, timestamp, body),
        "Idempotency-Key": notice.idempotency_key,
        # The connection goes to the address just checked; the server still sees its name.
        "Host": target.netloc.decode("ascii"),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}

    own_client = client is None
    http = client or httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    if http.trust_env and _through_proxy(target):
        # An egress proxy (HTTPS_PROXY…) resolves the name itself, and over its tunnel TLS
        # would check the certificate against a pinned address: send to the name.
        addresses = []
    try:
        response = await _post_to_first_reachable(
            http, target, addresses, body, headers, extensions
        )
    except httpx.TransportError as error:
        raise classify_transport_error(error, "webhook") from None
    finally:
        if own_client:
            await http.aclose()
    raise_for_answer(response.status_code, response.headers.get("Retry-After"), "webhook")


async def _post_to_first_reachable(
    http: httpx.AsyncClient,
    target: httpx.URL,
    addresses: list[IpAddress],
    body: bytes,
    headers: dict[str, str],
    extensions: dict[str, Any],
) -> httpx.Response:
    """POST to each checked address in turn until one accepts the connection (``localhost``
    answers ``::1`` and ``127.0.0.1``; a server may listen on one of them only). No
    addresses: to the name itself."""
    hosts = [str(address) for address in addresses] or [target.host]
    for index, host in enumerate(hosts):
        request = http.build_request(
            "POST",
            target.copy_with(host=host),
            content=body,
            headers=headers,
            extensions=extensions,
        )
        try:
            # Streamed and closed unread: the receiver's answer body is not needed.
            response = await http.send(request, stream=True, follow_redirects=False)
        except httpx.ConnectError:
            if index == len(hosts) - 1:
                raise
            continue
        await response.aclose()
        return response
    raise AssertionError("unreachable: the last host re-raises")


def _through_proxy(target: httpx.URL) -> bool:
    """Whether the environment sends this URL through a proxy (as httpx's ``trust_env``)."""
    proxies = urllib.request.getproxies_environment()
    if target.scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(target.host)


def classify_transport_error(error: httpx.TransportError, what: str) -> DeliveryFailed:
    """What a failure below HTTP means for a retry (``what`` names the receiver). The reason
    never quotes the error itself: its text may hold the URL, and Telegram's holds the token."""
    if isinstance(error, httpx.TimeoutException):
        # The request went out when the answer timed out (read/write): it may have arrived.
        sent = not isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout)
        return DeliveryFailed(
            f"Penerima {what} tidak menjawab dalam {TIMEOUT_SECONDS:.0f} detik (timeout); "
            "akan dicoba lagi.",
            retryable=True,
            maybe_delivered=sent,
        )
    cause: BaseException | None = error
    refused = "refused" in str(error).lower()
    untrusted = "CERTIFICATE_VERIFY_FAILED" in str(error)
    while cause is not None:
        refused = refused or isinstance(cause, ConnectionRefusedError)
        untrusted = untrusted or isinstance(cause, ssl.SSLCertVerificationError)
        cause = cause.__cause__ or cause.__context__
    if untrusted:
        return DeliveryFailed(
            f"Sertifikat TLS penerima {what} tidak dapat diverifikasi; periksa alamatnya.",
            retryable=False,
        )
    if refused:
        return DeliveryFailed(
            f"Penerima {what} menolak sambungan (connection refused); akan dicoba lagi.",
            retryable=True,
        )
    return DeliveryFailed(
        f"Penerima {what} tidak dapat dihubungi ({type(error).__name__}); akan dicoba lagi.",
        retryable=True,
        maybe_delivered=isinstance(error, httpx.RemoteProtocolError),
    )


def raise_for_answer(status: int, retry_after: str | None, what: str) -> None:
    """Nothing for a 2xx; otherwise the ``DeliveryFailed`` the status means."""
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        raise DeliveryFailed(
            f"Penerima {what} menjawab pengalihan (HTTP {status}); pengalihan tidak diikuti: "
            "simpan alamat tujuan akhirnya.",
            retryable=False,
        )
    if status in (408, 429) or status >= 500:
        raise DeliveryFailed(
            f"Penerima {what} sedang sibuk atau bermasalah (HTTP {status}); akan dicoba lagi.",
            retryable=True,
            retry_after=parse_retry_after(retry_after),
        )
    raise DeliveryFailed(
        f"Penerima {what} menolak pesan (HTTP {status}); periksa alamat dan kunci rahasianya.",
        retryable=False,
    )
