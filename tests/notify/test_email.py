"""E-mail against a real SMTP server (aiosmtpd) started by the test; the message is read back
as it arrived."""

from __future__ import annotations

import email
import logging
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from siaga_platform.config import Settings, SmtpSecurity
from siaga_platform.notify.email import SmtpSettings, send_email, smtp_settings
from siaga_platform.notify.failures import DeliveryFailed, PersonalDataInMessage
from tests.notify.factories import a_notice
from tests.notify.servers import Certificate, SmtpServer, free_port, self_signed_certificate

TO = "operator@disdukcapil.makassarkota.go.id"


def settings_for(port: int, **overrides: object) -> SmtpSettings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "Siaga <siaga@example.go.id>",
        "security": SmtpSecurity.NONE,
        "timeout_seconds": 5,
    }
    values.update(overrides)
    return SmtpSettings(**values)  # type: ignore[arg-type]


def parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_the_message_arrives_as_text_and_html_in_utf8_with_the_key_as_message_id() -> None:
    notice = a_notice()
    with SmtpServer() as server:
        await send_email(settings_for(server.port), TO, notice)
        [envelope] = server.handler.envelopes
    assert envelope.mail_from == "siaga@example.go.id"
    assert envelope.rcpt_tos == [TO]
    assert isinstance(envelope.original_content, bytes)
    raw = envelope.original_content
    message = parse(raw)

    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]  # the last part is the one clients prefer
    # The subject travels encoded (RFC 2047) and reads back with its em dash.
    assert message["Subject"] == "Blanko KTP-el hampir habis — Kota Makassar"
    assert b"=?utf-8?" in raw.lower()
    assert message["Message-ID"] == "<alert-7f3a=opened=1@siaga>"
    assert message["To"] == TO
    assert message["Auto-Submitted"] == "auto-generated"
    # Dated in the regency's clock: Makassar is WITA, UTC+8.
    assert message["Date"].endswith("+0800")

    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text_part is not None and html_part is not None
    text = text_part.get_content()
    html = html_part.get_content()
    assert text_part.get_content_charset() == "utf-8"
    assert "Sisa blanko 40 lembar, cukup ± 2 hari kerja." in text
    assert "Waktu: 2 Des 2026 13.05 WITA" in text
    assert "Waktu: 2 Des 2026 13.05 WITA" in html
    assert '<a href="https://siaga.example.go.id/wilayah/73.71/stok">' in html
    assert not re.search(rb"\d{16}", raw)


async def test_a_retry_carries_the_same_message_id() -> None:
    notice = a_notice()
    with SmtpServer() as server:
        await send_email(settings_for(server.port), TO, notice)
        await send_email(settings_for(server.port), TO, notice)
        ids = [parse(e.original_content or b"")["Message-ID"] for e in server.handler.envelopes]
    assert ids == ["<alert-7f3a=opened=1@siaga>"] * 2


async def test_a_temporary_refusal_is_retryable() -> None:
    with SmtpServer() as server:
        server.handler.rcpt_answer = "451 4.7.1 Greylisted, try again later"
        with pytest.raises(DeliveryFailed) as caught:
            await send_email(settings_for(server.port), TO, a_notice())
    assert caught.value.retryable
    assert "SMTP 451" in caught.value.reason


async def test_a_temporary_refusal_of_the_data_is_retryable() -> None:
    with SmtpServer() as server:
        server.handler.data_answer = "452 4.3.1 Insufficient system storage"
        with pytest.raises(DeliveryFailed) as caught:
            await send_email(settings_for(server.port), TO, a_notice())
    assert caught.value.retryable
    assert "SMTP 452" in caught.value.reason


async def test_a_permanent_refusal_is_not_retryable() -> None:
    with SmtpServer() as server:
        server.handler.rcpt_answer = "550 5.1.1 No such user"
        with pytest.raises(DeliveryFailed) as caught:
            await send_email(settings_for(server.port), TO, a_notice())
        assert server.handler.envelopes == []
    assert not caught.value.retryable
    assert "SMTP 550" in caught.value.reason
    assert "penerima" in caught.value.reason


async def test_a_refused_connection_is_retryable() -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await send_email(settings_for(free_port()), TO, a_notice())
    assert caught.value.retryable
    assert "connection refused" in caught.value.reason


async def test_a_silent_server_times_out_retryably() -> None:
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts the connection, never greets
        port = silent.getsockname()[1]
        with pytest.raises(DeliveryFailed) as caught:
            await send_email(settings_for(port, timeout_seconds=0.5), TO, a_notice())
    assert caught.value.retryable
    assert "timeout" in caught.value.reason


async def test_starttls_against_a_server_without_it_is_a_settings_error() -> None:
    with SmtpServer() as server:
        with pytest.raises(DeliveryFailed) as caught:
            await send_email(
                settings_for(server.port, security=SmtpSecurity.STARTTLS), TO, a_notice()
            )
        assert server.handler.envelopes == []
    assert not caught.value.retryable
    assert "SIAGA_SMTP_SECURITY" in caught.value.reason


async def test_a_nik_in_the_text_is_refused_before_the_server_is_reached() -> None:
    notice = a_notice(lines=["Pemohon 3201123456780001 menunggu kartu."])
    with SmtpServer() as server:
        with pytest.raises(PersonalDataInMessage) as caught:
            await send_email(settings_for(server.port), TO, notice)
        assert server.handler.envelopes == []
    assert not caught.value.retryable


async def test_an_invalid_recipient_is_not_retryable_and_injects_no_header() -> None:
    with SmtpServer() as server:
        with pytest.raises(DeliveryFailed) as caught:
            await send_email(
                settings_for(server.port), "a@b.go.id\r\nBcc: x@evil.example", a_notice()
            )
        assert server.handler.envelopes == []
    assert not caught.value.retryable


async def test_without_a_host_development_writes_a_readable_eml(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = SmtpSettings(host=None, sink_dir=tmp_path / "mail")
    caplog.set_level(logging.INFO)
    path = await send_email(settings, TO, a_notice())
    assert path == tmp_path / "mail" / "alert-7f3a=opened=1.eml"
    assert str(path) in caplog.text
    message = parse(path.read_bytes())
    assert message["Subject"] == "Blanko KTP-el hampir habis — Kota Makassar"
    body = message.get_body(("plain",))
    assert body is not None and "Sisa blanko 40 lembar" in body.get_content()
    # A retry rewrites the same file: one message per key.
    await send_email(settings, TO, a_notice())
    assert [p.name for p in (tmp_path / "mail").iterdir()] == ["alert-7f3a=opened=1.eml"]


async def test_without_a_host_production_refuses_to_send() -> None:
    with pytest.raises(DeliveryFailed) as caught:
        await send_email(SmtpSettings(host=None, sink_dir=None), TO, a_notice())
    assert not caught.value.retryable
    assert "SIAGA_SMTP_HOST" in caught.value.reason


def test_the_settings_choose_the_sink_only_in_development() -> None:
    development = smtp_settings(Settings(environment="development"))
    assert development.host is None and development.sink_dir == Path("var/mail")
    configured = smtp_settings(
        Settings(
            smtp_host="mail.example.go.id",
            smtp_port=465,
            smtp_security="tls",
            smtp_password="s3cret",
        )
    )
    assert configured.host == "mail.example.go.id"
    assert configured.port == 465 and configured.security is SmtpSecurity.TLS
    assert configured.password == "s3cret"


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed_certificate(str(tmp_path))


async def test_starttls_and_login_deliver(certificate: Certificate) -> None:
    server_tls = certificate.server_context()
    with SmtpServer(tls_context=server_tls, login=("siaga", "rahasia-smtp")) as server:
        settings = settings_for(
            server.port,
            security=SmtpSecurity.STARTTLS,
            tls_context=certificate.client_context(),
            username="siaga",
            password="rahasia-smtp",
        )
        await send_email(settings, TO, a_notice())
        assert server.logins == ["siaga"]
        assert len(server.handler.envelopes) == 1


async def test_tls_from_the_first_byte_delivers(certificate: Certificate) -> None:
    with SmtpServer(tls_context=certificate.server_context(), implicit_tls=True) as server:
        settings = settings_for(
            server.port, security=SmtpSecurity.TLS, tls_context=certificate.client_context()
        )
        await send_email(settings, TO, a_notice())
        assert len(server.handler.envelopes) == 1


async def test_a_refused_login_is_not_retryable(certificate: Certificate) -> None:
    with SmtpServer(
        tls_context=certificate.server_context(), login=("siaga", "rahasia-smtp")
    ) as server:
        settings = settings_for(
            server.port,
            security=SmtpSecurity.STARTTLS,
            tls_context=certificate.client_context(),
            username="siaga",
            password="salah",
        )
        with pytest.raises(DeliveryFailed) as caught:
            await send_email(settings, TO, a_notice())
        assert server.handler.envelopes == []
    assert not caught.value.retryable
    assert "login" in caught.value.reason and "SMTP 535" in caught.value.reason
    assert "salah" not in caught.value.reason


async def test_an_untrusted_certificate_is_not_retryable(certificate: Certificate) -> None:
    with SmtpServer(tls_context=certificate.server_context()) as server:
        # The system's CAs do not know the test's certificate.
        settings = settings_for(server.port, security=SmtpSecurity.STARTTLS)
        with pytest.raises(DeliveryFailed) as caught:
            await send_email(settings, TO, a_notice())
        assert server.handler.envelopes == []
    assert not caught.value.retryable
    assert "Sertifikat TLS" in caught.value.reason
