"""Telegram against a local receiver that speaks the Bot API's shape
(``/bot<token>/sendMessage``, ``{"ok": ..., "error_code": ..., "parameters": ...}``)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

import httpx
import pytest

from siaga_platform.notify.failures import DeliveryFailed, PersonalDataInMessage
from siaga_platform.notify.telegram import send_telegram
from tests.notify.factories import a_notice
from tests.notify.servers import Answer, HttpReceiver, Received, free_port

TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
CHAT = "-1001234567890"


def bot_api(answer: Callable[[Received], Answer] | None = None) -> Callable[[Received], Answer]:
    """The Bot API as far as sendMessage goes: 404 for another method, 401 for another token."""

    def respond(request: Received) -> Answer:
        match = re.fullmatch(r"/bot(?P<token>[^/]+)/(?P<method>\w+)", request.path)
        if match is None or match["method"] != "sendMessage":
            return Answer(
                404,
                json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}).encode(),
            )
        if match["token"] != TOKEN:
            return Answer(
                401,
                json.dumps(
                    {"ok": False, "error_code": 401, "description": "Unauthorized"}
                ).encode(),
            )
        if answer is not None:
            return answer(request)
        sent = {"message_id": 42, "chat": {"id": int(CHAT)}, "text": request.json()["text"]}
        return Answer(200, json.dumps({"ok": True, "result": sent}).encode())

    return respond


def refusal(status: int, description: str, **parameters: object) -> Callable[[Received], Answer]:
    body: dict[str, object] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return lambda request: Answer(status, json.dumps(body).encode())


async def test_the_message_is_posted_as_telegram_expects_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    notice = a_notice(lines=["Sisa <40> lembar & menipis."])
    with HttpReceiver(bot_api()) as receiver:
        await send_telegram(receiver.url, TOKEN, CHAT, notice)
        [request] = receiver.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert body["chat_id"] == CHAT
    assert body["parse_mode"] == "HTML"
    assert body["disable_web_page_preview"] is True
    text = body["text"]
    assert text.startswith("<b>[PERHATIKAN] Blanko KTP-el hampir habis — Kota Makassar</b>\n")
    assert "Sisa &lt;40&gt; lembar &amp; menipis." in text  # escaped for parse_mode HTML
    assert "Waktu: 2 Des 2026 13.05 WITA" in text
    assert not re.search(r"\d{16}", text)
    # httpx logs each request with its URL; the token must not reach the log.
    assert "sendMessage" in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text


async def test_the_api_base_may_carry_a_path_and_a_trailing_slash() -> None:
    with HttpReceiver(bot_api()) as receiver:
        await send_telegram(f"{receiver.url}/", TOKEN, "@siaga_kalsel", a_notice())
        [request] = receiver.requests
    assert request.path == f"/bot{TOKEN}/sendMessage"
    assert request.json()["chat_id"] == "@siaga_kalsel"


async def test_flood_control_is_retryable_after_telegrams_delay() -> None:
    with (
        HttpReceiver(
            bot_api(refusal(429, "Too Many Requests: retry after 17", retry_after=17))
        ) as receiver,
        pytest.raises(DeliveryFailed) as caught,
    ):
        await send_telegram(receiver.url, TOKEN, CHAT, a_notice())
    assert caught.value.retryable
    assert caught.value.retry_after == 17
    assert "429" in caught.value.reason and "17 detik" in caught.value.reason


async def test_a_token_telegram_refuses_is_not_retryable() -> None:
    other = "7012345678:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"
    with HttpReceiver(bot_api()) as receiver, pytest.raises(DeliveryFailed) as caught:
        await send_telegram(receiver.url, other, CHAT, a_notice())
    assert not caught.value.retryable
    assert "401" in caught.value.reason and "@BotFather" in caught.value.reason
    assert other not in caught.value.reason


@pytest.mark.parametrize(
    ("answer", "retryable", "words"),
    [
        (refusal(400, "Bad Request: chat not found"), False, "chat not found"),
        (refusal(403, "Forbidden: bot was blocked by the user"), False, "403"),
        (
            refusal(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=-1009876543210,
            ),
            False,
            "-1009876543210",
        ),
        (refusal(500, "Internal Server Error"), True, "500"),
        (lambda request: Answer(502, b"<html>Bad Gateway</html>"), True, "502"),
    ],
)
async def test_answers_are_classified(
    answer: Callable[[Received], Answer], retryable: bool, words: str
) -> None:
    with HttpReceiver(bot_api(answer)) as receiver, pytest.raises(DeliveryFailed) as caught:
        await send_telegram(receiver.url, TOKEN, CHAT, a_notice())
    assert caught.value.retryable is retryable
    assert words in caught.value.reason


async def test_a_token_of_the_wrong_shape_is_refused_before_sending() -> None:
    with HttpReceiver(bot_api()) as receiver:
        with pytest.raises(DeliveryFailed) as caught:
            await send_telegram(receiver.url, "not-a-token", CHAT, a_notice())
        assert receiver.requests == []
    assert not caught.value.retryable
    assert "BotFather" in caught.value.reason


async def test_an_unreachable_api_is_retryable_and_the_reason_holds_no_token() -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await send_telegram(f"http://127.0.0.1:{free_port()}", TOKEN, CHAT, a_notice())
    assert caught.value.retryable
    assert TOKEN not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


async def test_a_lost_answer_may_have_delivered() -> None:
    import threading

    release = threading.Event()

    def slow(request: Received) -> Answer:
        release.wait(5)
        return Answer(200, b'{"ok":true}')

    with HttpReceiver(bot_api(slow)) as receiver:
        async with httpx.AsyncClient(timeout=0.3) as client:
            with pytest.raises(DeliveryFailed) as caught:
                await send_telegram(receiver.url, TOKEN, CHAT, a_notice(), client=client)
        release.set()
    assert caught.value.retryable and caught.value.maybe_delivered


async def test_a_nik_is_refused_before_anything_is_sent() -> None:
    notice = a_notice(subject="Pemohon 3201 1234 5678 0001 menunggu")
    with HttpReceiver(bot_api()) as receiver:
        with pytest.raises(PersonalDataInMessage):
            await send_telegram(receiver.url, TOKEN, CHAT, notice)
        assert receiver.requests == []
