"""Alerts to a Telegram chat through the Bot API's ``sendMessage``.

The API base is a setting (``SIAGA_TELEGRAM_API_BASE``): a self-hosted Bot API server, or the
tests' local receiver, answers in the same shape.

Telegram has no idempotency key: when the answer to a sent message is lost (a read time-out),
the retry may show the message twice. ``DeliveryFailed.maybe_delivered`` says when that can
happen; the other channels (``Idempotency-Key``, ``Message-ID``) let the receiver drop the copy.

The token is part of the URL, so it must not reach a log or an error: httpx logs each request
at INFO with its URL, and a filter on its logger masks the token there.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import httpx

from siaga_platform.errors import InvalidInput
from siaga_platform.notify.failures import DeliveryFailed, parse_retry_after
from siaga_platform.notify.message import Notice, assert_no_personal_data
from siaga_platform.notify.validation import validate_telegram_chat_id, validate_telegram_token
from siaga_platform.notify.webhook import TIMEOUT_SECONDS, classify_transport_error

DEFAULT_API_BASE = "https://api.telegram.org"
#: Telegram's limit is 4096 characters after entities are parsed; the text is cut well before.
MAX_TEXT_CHARACTERS = 3800
_TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")
MASK = "/bot[Filtered]"


class _TokenFilter(logging.Filter):
    """Masks ``/bot<token>`` in a record's message and arguments (httpx passes the URL as an
    ``httpx.URL`` argument; the others, such as the status code for ``%d``, stay as they are)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN_IN_URL.sub(MASK, record.msg)
        return True


def _masked(value: object) -> object:
    if isinstance(value, int | float) or value is None:
        return value
    text = str(value)
    return _TOKEN_IN_URL.sub(MASK, text) if _TOKEN_IN_URL.search(text) else value


def _install_token_filter() -> None:
    for name in ("httpx", "httpcore"):
        target = logging.getLogger(name)
        if not any(isinstance(f, _TokenFilter) for f in target.filters):
            target.addFilter(_TokenFilter())


_install_token_filter()


def telegram_text(notice: Notice) -> str:
    """The message in Telegram's HTML: the first line bold, everything escaped."""
    text = notice.text
    if len(text) > MAX_TEXT_CHARACTERS:
        text = text[: MAX_TEXT_CHARACTERS - 1] + "…"
    first, _, rest = text.partition("\n")
    if notice.subject not in first:
        first, rest = notice.subject, text
    escape = html.escape
    return f"<b>{escape(first, quote=False)}</b>\n{escape(rest, quote=False)}".rstrip()


async def send_telegram(
    api_base: str,
    token: str,
    chat_id: str,
    notice: Notice,
    *,
    client: httpx.AsyncClient | None = None,
) -> None:
    """Send ``notice`` to ``chat_id``; return when Telegram answers ``ok``.

    Raises ``DeliveryFailed``: retryable on flood control (429, with Telegram's
    ``retry_after``), 5xx and network failures; not on a refused token (401), a bot blocked
    or removed from the chat (403) or a bad request such as an unknown chat (400).
    """
    assert_no_personal_data(notice)
    try:
        token = validate_telegram_token(token)
        chat_id = validate_telegram_chat_id(chat_id)
    except InvalidInput as error:
        raise DeliveryFailed(error.message, retryable=False) from None
    url = f"{api_base.rstrip('/')}/bot{token}/sendMessage"
    payload = {
        "chat_id": chat_id,
        "text": telegram_text(notice),
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }
    own_client = client is None
    http = client or httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        response = await http.post(url, json=payload)
    except httpx.TransportError as error:
        raise classify_transport_error(error, "Telegram") from None
    finally:
        if own_client:
            await http.aclose()
    raise_for_telegram_answer(response)


def raise_for_telegram_answer(response: httpx.Response) -> None:
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {}
    if response.is_success and answer.get("ok") is True:
        return
    status = response.status_code
    code = answer.get("error_code", status)
    code = code if isinstance(code, int) else status
    description = str(answer.get("description") or "")[:160]
    # A description never holds the token; it may say what is wrong ("chat not found").
    said = f": {description}" if description else ""
    parameters = answer.get("parameters") or {}
    if code == 429:
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        delay = (
            float(retry_after)
            if isinstance(retry_after, int | float)
            else parse_retry_after(response.headers.get("Retry-After"))
        )
        wait = f"coba lagi setelah {delay:.0f} detik" if delay is not None else "akan dicoba lagi"
        raise DeliveryFailed(
            f"Telegram membatasi pengiriman (flood control, 429); {wait}.",
            retryable=True,
            retry_after=delay,
        )
    if code == 401 or status == 404:
        raise DeliveryFailed(
            f"Telegram menolak token bot ({code}); salin ulang token dari @BotFather.",
            retryable=False,
        )
    if code == 403:
        raise DeliveryFailed(
            f"Bot tidak boleh mengirim ke chat ini (403{said}); tambahkan bot ke grup/kanal "
            "atau buka blokirnya.",
            retryable=False,
        )
    if isinstance(parameters, dict) and "migrate_to_chat_id" in parameters:
        raise DeliveryFailed(
            "Grup Telegram sudah menjadi supergrup; ganti ID chat menjadi "
            f"{parameters['migrate_to_chat_id']}.",
            retryable=False,
        )
    if code >= 500 or status >= 500:
        raise DeliveryFailed(
            f"Telegram sedang bermasalah ({code}); akan dicoba lagi.",
            retryable=True,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    raise DeliveryFailed(f"Telegram menolak pesan ({code}{said}).", retryable=False)
