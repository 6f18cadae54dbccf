"""The signed webhook against a local HTTP receiver that verifies the signature as a province's
bridge would."""

from __future__ import annotations

import ipaddress
import re
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from siaga_platform.notify.failures import DeliveryFailed, PersonalDataInMessage
from siaga_platform.notify.webhook import (
    _post_to_first_reachable,
    send_webhook,
    signature,
    verify_signature,
)
from tests.notify.factories import a_notice
from tests.notify.servers import (
    Answer,
    HttpReceiver,
    Received,
    free_port,
    self_signed_certificate,
)

SECRET = "Vq3w9-provinsi-jembatan-rahasia-7KxP"


class VerifyingBridge:
    """Answers 401 unless the signature verifies; records the keys it has seen and answers
    2xx without acting on a key seen before."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.acted: list[str] = []

    def __call__(self, request: Received) -> Answer:
        ok = verify_signature(
            SECRET,
            request.headers["x-siaga-timestamp"],
            request.body,
            request.headers["x-siaga-signature"],
            now=time.time(),
        )
        if not ok:
            return Answer(401)
        key = request.headers["idempotency-key"]
        if key not in self.seen:
            self.acted.append(key)
        self.seen.append(key)
        return Answer(202)


async def test_a_signed_json_message_is_verified_and_carries_its_key() -> None:
    bridge = VerifyingBridge()
    notice = a_notice()
    with HttpReceiver(bridge) as receiver:
        await send_webhook(f"{receiver.url}/siaga", SECRET, notice, allow_private=True)
        await send_webhook(f"{receiver.url}/siaga", SECRET, notice, allow_private=True)
        [first, _] = receiver.requests
    assert bridge.seen == ["alert-7f3a:opened:1"] * 2
    assert bridge.acted == ["alert-7f3a:opened:1"]  # the retry is recognised
    assert first.path == "/siaga"
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert first.headers["x-siaga-signature"].startswith("sha256=")
    assert abs(int(first.headers["x-siaga-timestamp"]) - time.time()) < 60
    body = first.json()
    assert body["event"] == "alert"
    assert body["level"] == "perhatikan"
    assert body["subject"] == "Blanko KTP-el hampir habis — Kota Makassar"
    assert "Sisa blanko 40 lembar" in body["text"]
    assert body["link"] == "https://siaga.example.go.id/wilayah/73.71/stok"
    assert body["facts"] == {"Kabupaten/kota": "Makassar (73.71)", "Sisa blanko": "40"}
    assert body["occurred_at"] == "2026-12-02T05:05:00Z"
    assert body["zone"] == "WITA"
    assert body["idempotency_key"] == "alert-7f3a:opened:1"
    assert not re.search(rb"\d{16}", first.body)


async def test_a_wrong_secret_is_refused_by_the_receiver_and_not_retried() -> None:
    with HttpReceiver(VerifyingBridge()) as receiver, pytest.raises(DeliveryFailed) as caught:
        await send_webhook(
            receiver.url, "another-secret-entirely-0123456789", a_notice(), allow_private=True
        )
    assert not caught.value.retryable
    assert "HTTP 401" in caught.value.reason


def test_verify_signature_refuses_a_changed_body_an_old_timestamp_and_another_secret() -> None:
    body = b'{"event":"alert"}'
    now = 1_764_651_900
    good = signature(SECRET, str(now), body)
    assert verify_signature(SECRET, str(now), body, good, now=now + 299)
    assert not verify_signature(SECRET, str(now), body + b" ", good, now=now)
    assert not verify_signature(SECRET, str(now), body, good, now=now + 301)
    assert not verify_signature(SECRET, str(now + 1), body, good, now=now)
    assert not verify_signature("x" * 40, str(now), body, good, now=now)
    assert not verify_signature(SECRET, "not-a-number", body, good, now=now)


@pytest.mark.parametrize(
    ("answer", "retryable", "retry_after"),
    [
        (Answer(500), True, None),
        (Answer(503, headers={"Retry-After": "30"}), True, 30.0),
        (Answer(429, headers={"Retry-After": "120"}), True, 120.0),
        (Answer(408), True, None),
        (Answer(400), False, None),
        (Answer(404), False, None),
    ],
)
async def test_answers_are_classified(
    answer: Answer, retryable: bool, retry_after: float | None
) -> None:
    with (
        HttpReceiver(lambda request: answer) as receiver,
        pytest.raises(DeliveryFailed) as caught,
    ):
        await send_webhook(receiver.url, SECRET, a_notice(), allow_private=True)
    assert caught.value.retryable is retryable
    assert caught.value.retry_after == retry_after
    assert f"HTTP {answer.status}" in caught.value.reason


async def test_a_redirect_is_not_followed() -> None:
    with (
        HttpReceiver() as inside,
        HttpReceiver(
            lambda request: Answer(307, headers={"Location": f"{inside.url}/admin"})
        ) as outside,
    ):
        with pytest.raises(DeliveryFailed) as caught:
            await send_webhook(outside.url, SECRET, a_notice(), allow_private=True)
        assert len(outside.requests) == 1
        assert inside.requests == []
    assert not caught.value.retryable
    assert "pengalihan" in caught.value.reason


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
async def test_a_private_target_is_refused_at_send_time_without_the_setting(host: str) -> None:
    with HttpReceiver() as receiver:
        url = f"http://{host}:{receiver.port}/siaga"
        with pytest.raises(DeliveryFailed) as caught:
            await send_webhook(url, SECRET, a_notice(), allow_private=False)
        assert receiver.requests == []
    assert not caught.value.retryable
    assert "SIAGA_WEBHOOK_ALLOW_PRIVATE" in caught.value.reason


async def test_a_host_name_reaches_the_address_it_was_checked_for() -> None:
    """The connection goes to the checked address; the receiver still sees its name."""
    with HttpReceiver(VerifyingBridge()) as receiver:
        await send_webhook(
            f"http://localhost:{receiver.port}/siaga", SECRET, a_notice(), allow_private=True
        )
        [request] = receiver.requests
    assert request.headers["host"] == f"localhost:{receiver.port}"


async def test_the_next_checked_address_is_tried_when_one_refuses() -> None:
    """A name with two addresses (``::1`` and ``127.0.0.1``), the server on the second only."""
    with HttpReceiver() as receiver:
        target = httpx.URL(f"http://localhost:{receiver.port}/siaga")
        addresses = [ipaddress.ip_address("::1"), ipaddress.ip_address("127.0.0.1")]
        async with httpx.AsyncClient(timeout=5) as client:
            response = await _post_to_first_reachable(
                client, target, addresses, b"{}", {"Host": target.netloc.decode()}, {}
            )
        assert response.status_code == 200
        assert len(receiver.requests) == 1


async def test_a_refused_connection_is_retryable() -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await send_webhook(
            f"http://127.0.0.1:{free_port()}/", SECRET, a_notice(), allow_private=True
        )
    assert caught.value.retryable
    assert "connection refused" in caught.value.reason


async def test_a_slow_receiver_times_out_retryably() -> None:
    release = threading.Event()

    def slow(request: Received) -> Answer:
        release.wait(5)
        return Answer(200)

    with HttpReceiver(slow) as receiver:
        async with httpx.AsyncClient(timeout=0.3) as client:
            with pytest.raises(DeliveryFailed) as caught:
                await send_webhook(
                    receiver.url, SECRET, a_notice(), allow_private=True, client=client
                )
        release.set()
    assert caught.value.retryable
    assert "timeout" in caught.value.reason
    assert caught.value.maybe_delivered  # the request went out; its answer did not come


async def test_an_unknown_host_is_retryable() -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await send_webhook(
            "https://jembatan.invalid/siaga", SECRET, a_notice(), allow_private=False
        )
    assert caught.value.retryable
    assert "DNS" in caught.value.reason


async def test_a_nik_is_refused_before_anything_is_sent() -> None:
    notice = a_notice(facts={"Pemohon": "3201-1234-5678-0001"})
    with HttpReceiver() as receiver:
        with pytest.raises(PersonalDataInMessage):
            await send_webhook(receiver.url, SECRET, notice, allow_private=True)
        assert receiver.requests == []


async def test_the_timestamp_is_the_send_time() -> None:
    sent_at = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    with HttpReceiver() as receiver:
        await send_webhook(receiver.url, SECRET, a_notice(), allow_private=True, now=sent_at)
        [request] = receiver.requests
    assert request.headers["x-siaga-timestamp"] == str(int(sent_at.timestamp()))
    assert request.json()["sent_at"] == "2026-12-02T06:00:00Z"
    assert verify_signature(
        SECRET,
        request.headers["x-siaga-timestamp"],
        request.body,
        request.headers["x-siaga-signature"],
        now=sent_at.timestamp(),
    )


async def test_https_to_a_name_is_verified_against_the_name_not_the_address(
    tmp_path: Path,
) -> None:
    """The connection is pinned to the checked address, yet TLS (SNI and the certificate
    check) uses the host name: a certificate for ``localhost`` only is accepted."""
    certificate = self_signed_certificate(str(tmp_path), with_ip=False)
    with HttpReceiver(VerifyingBridge(), tls_context=certificate.server_context()) as receiver:
        async with httpx.AsyncClient(verify=certificate.client_context()) as client:
            await send_webhook(
                f"https://localhost:{receiver.port}/siaga",
                SECRET,
                a_notice(),
                allow_private=True,
                client=client,
            )
        [request] = receiver.requests
    assert request.headers["host"] == f"localhost:{receiver.port}"


async def test_an_untrusted_certificate_is_not_retryable(tmp_path: Path) -> None:
    certificate = self_signed_certificate(str(tmp_path))
    with HttpReceiver(tls_context=certificate.server_context()) as receiver:
        with pytest.raises(DeliveryFailed) as caught:
            await send_webhook(receiver.url, SECRET, a_notice(), allow_private=True)
        assert receiver.requests == []
    assert not caught.value.retryable
    assert "Sertifikat TLS" in caught.value.reason


async def test_through_an_egress_proxy_the_name_is_sent_not_the_pinned_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The proxy resolves the name itself (and checks TLS against it in a tunnel)."""
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with HttpReceiver() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        await send_webhook("http://localhost:9/siaga", SECRET, a_notice(), allow_private=True)
        [request] = proxy.requests
    assert request.path == "http://localhost:9/siaga"  # absolute form, to the proxy
    # The address check still ran before: without the setting, nothing reaches the proxy.
    with HttpReceiver() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        with pytest.raises(DeliveryFailed):
            await send_webhook("http://localhost:9/siaga", SECRET, a_notice(), allow_private=False)
        assert proxy.requests == []


async def test_an_empty_secret_is_not_sent() -> None:
    with HttpReceiver() as receiver:
        with pytest.raises(DeliveryFailed) as caught:
            await send_webhook(receiver.url, "", a_notice(), allow_private=True)
        assert receiver.requests == []
    assert not caught.value.retryable
