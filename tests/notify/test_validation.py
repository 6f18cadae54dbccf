"""What an administrator types for a channel: good values pass, bad ones get a Bahasa message
naming the field."""

from __future__ import annotations

import ipaddress

import pytest

from siaga_platform.errors import InvalidInput
from siaga_platform.notify.validation import (
    refused_address,
    validate_email,
    validate_telegram_chat_id,
    validate_telegram_token,
    validate_webhook_secret,
    validate_webhook_url,
)


@pytest.mark.parametrize(
    "address",
    [
        "operator@disdukcapil.kapuaskab.go.id",
        "  kepala.dinas+siaga@makassarkota.go.id ",
        "o'neil@example.co.id",
        "a@xn--mnchen-3ya.de",
    ],
)
def test_good_email_addresses_pass_trimmed(address: str) -> None:
    assert validate_email(address) == address.strip()


@pytest.mark.parametrize(
    "address",
    [
        "",
        "operator",
        "operator@",
        "@dinas.go.id",
        "operator@dinas",
        "a@@dinas.go.id",
        "ope rator@dinas.go.id",
        "Operator <operator@dinas.go.id>",
        "operator@dinas.go.id, kepala@dinas.go.id",
        "a@b.go.id\r\nBcc: x@evil.example",
        "operator@-dinas.go.id",
        "operator@dinas..go.id",
        ".operator@dinas.go.id",
        "operator@dinas.go.1d",
        "x" * 65 + "@dinas.go.id",
    ],
)
def test_bad_email_addresses_are_refused_in_bahasa(address: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_email(address, field="alamat_email")
    assert caught.value.field == "alamat_email"
    assert caught.value.status_code == 422
    assert "Alamat e-mail tidak valid" in caught.value.message
    assert "misalnya" in caught.value.message  # says what to write


def test_a_public_webhook_address_passes() -> None:
    # An IP literal: no DNS needed on this closed network.
    assert validate_webhook_url(" https://8.8.8.8/siaga ", allow_private=False) == (
        "https://8.8.8.8/siaga"
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://8.8.8.8/x", "http:// atau https://"),
        ("javascript:alert(1)", "http:// atau https://"),
        ("jembatan.provinsi.go.id/siaga", "http:// atau https://"),
        ("https://", "http:// atau https://"),
        ("https://user:pass@8.8.8.8/", "kata sandi"),
        ("https://8.8.8.8:99999/", "tidak dapat dibaca"),
        ("https://jembatan.invalid/siaga", "tidak ditemukan"),
    ],
)
def test_bad_webhook_urls_are_refused_in_bahasa(url: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_webhook_url(url, allow_private=True, field="webhook_url")
    assert caught.value.field == "webhook_url"
    assert words in caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.10/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://240.0.0.1/",  # reserved
        "http://224.0.0.1/",  # multicast
        "http://2130706433/",  # 127.0.0.1 written as one number
    ],
)
def test_private_and_reserved_targets_are_refused_without_the_setting(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_webhook_url(url, allow_private=False)
    assert caught.value.field == "url"
    assert "SIAGA_WEBHOOK_ALLOW_PRIVATE" in caught.value.message
    # The setting lets the same address through (tests, a bridge inside the network).
    assert validate_webhook_url(url, allow_private=True) == url


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("127.0.0.1", True),
        ("::ffff:8.8.8.8", False),
        ("::ffff:192.168.0.1", True),
        ("2002:c0a8:0001::1", True),  # 6to4 around 192.168.0.1
        ("::", True),
    ],
)
def test_refused_address(address: str, refused: bool) -> None:
    assert refused_address(ipaddress.ip_address(address)) is refused


def test_a_short_webhook_secret_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_webhook_secret("rahasia")
    assert caught.value.field == "secret"
    assert "minimal 32 karakter" in caught.value.message
    good = "Vq3w9-provinsi-jembatan-rahasia-7KxP"
    assert validate_webhook_secret(good) == good


@pytest.mark.parametrize(
    "token",
    [
        "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
        " 123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11 ",
    ],
)
def test_good_telegram_tokens_pass(token: str) -> None:
    assert validate_telegram_token(token) == token.strip()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
        "7012345678",
        "7012345678:short",
        "bot7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
        "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0/sendMessage",
        "7012345678:AAHdqTcvCH1vGWJ fSeofSAs0K5PALDsaw0",
    ],
)
def test_bad_telegram_tokens_are_refused_without_repeating_them(token: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_telegram_token(token)
    assert caught.value.field == "telegram_token"
    assert "@BotFather" in caught.value.message
    if token:
        assert token not in caught.value.message


@pytest.mark.parametrize("chat", ["-1001234567890", "123456789", "@siaga_kalsel"])
def test_good_telegram_chats_pass(chat: str) -> None:
    assert validate_telegram_chat_id(chat) == chat


@pytest.mark.parametrize("chat", ["", "abc", "@abc", "-", "https://t.me/siaga", "12 34"])
def test_bad_telegram_chats_are_refused(chat: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_telegram_chat_id(chat, field="chat")
    assert caught.value.field == "chat"
    assert "ID chat Telegram tidak valid" in caught.value.message
