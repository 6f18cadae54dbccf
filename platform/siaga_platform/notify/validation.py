"""Checks of what an administrator types for a channel: each refusal says what to write.

Raised as ``InvalidInput`` naming the field, so a form or the JSON API answers 422 with
``{"detail": ..., "field": ...}``. The values themselves are not repeated in the messages (a
token is a secret; an address belongs to a person).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import urlsplit

from siaga_platform.errors import InvalidInput

_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_TOP_LABEL = re.compile(r"^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$")
# A bot token as BotFather issues it: the bot's numeric id, a colon, ~35 URL-safe characters.
_TELEGRAM_TOKEN = re.compile(r"^\d{5,15}:[A-Za-z0-9_-]{30,64}$")
# A chat: its numeric id (groups and channels are negative, ``-100…``) or a public ``@name``.
_TELEGRAM_CHAT = re.compile(r"^(?:-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")
WEBHOOK_SECRET_MIN_LENGTH = 32
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def validate_email(address: str, *, field: str = "email") -> str:
    """The address, trimmed; ``InvalidInput`` unless it reads ``nama@dinas.go.id``."""
    value = address.strip()
    refusal = InvalidInput(
        "Alamat e-mail tidak valid. Tulis satu alamat lengkap, misalnya "
        "operator@disdukcapil.kapuaskab.go.id (tanpa spasi, nama atau tanda kurung).",
        field=field,
    )
    if not value or len(value) > 254 or value.count("@") != 1:
        raise refusal
    local, domain = value.split("@")
    if len(local) > 64 or not _LOCAL_PART.match(local):
        raise refusal
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise refusal
    if not _TOP_LABEL.match(labels[-1]):
        raise refusal
    return value


def validate_webhook_secret(secret: str, *, field: str = "secret") -> str:
    if len(secret) < WEBHOOK_SECRET_MIN_LENGTH or len(set(secret)) < 10:
        raise InvalidInput(
            f"Kunci rahasia webhook terlalu pendek atau terlalu sederhana: pakai minimal "
            f"{WEBHOOK_SECRET_MIN_LENGTH} karakter acak (misalnya hasil "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`).",
            field=field,
        )
    return secret


def refused_address(address: IpAddress) -> bool:
    """True for an address a webhook must not reach by default: private, loopback,
    link-local (cloud metadata at 169.254.169.254), shared (100.64/10), multicast, reserved or
    unspecified; an IPv4 address inside IPv6 (``::ffff:10.0.0.1``) is judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return refused_address(mapped)
    return not address.is_global or address.is_multicast


def _split(url: str, field: str) -> tuple[str, int]:
    """The host and port of a webhook URL, or ``InvalidInput``."""
    value = url.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise InvalidInput(
            "Alamat webhook tidak dapat dibaca. Tulis lengkap, misalnya "
            "https://jembatan.provinsi.go.id/siaga.",
            field=field,
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            "Alamat webhook harus diawali http:// atau https:// lalu nama server, misalnya "
            "https://jembatan.provinsi.go.id/siaga.",
            field=field,
        )
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            "Alamat webhook tidak boleh memuat nama pengguna atau kata sandi; pesan "
            "ditandatangani dengan kunci rahasia webhook.",
            field=field,
        )
    if len(value) > 2000 or any(c.isspace() for c in value):
        raise InvalidInput("Alamat webhook terlalu panjang atau memuat spasi.", field=field)
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _addresses(infos: list[tuple[object, ...]]) -> list[IpAddress]:
    found: list[IpAddress] = []
    for info in infos:
        sockaddr = info[4]
        assert isinstance(sockaddr, tuple)
        # An IPv6 link-local answer carries its zone (``fe80::1%eth0``): the address is before it.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found


def _private_refusal(field: str) -> InvalidInput:
    return InvalidInput(
        "Alamat webhook menuju jaringan privat, loopback atau alamat khusus; itu tidak "
        "diizinkan. Pakai alamat publik, atau minta pengelola platform menyalakan "
        "SIAGA_WEBHOOK_ALLOW_PRIVATE bila jembatan memang berada di jaringan yang sama.",
        field=field,
    )


class HostNotFound(InvalidInput):
    """The webhook's host name has no address (now): a typo, or DNS down for a moment."""


def _unresolved(field: str) -> InvalidInput:
    return HostNotFound("Nama server webhook tidak ditemukan (DNS). Periksa ejaannya.", field=field)


def _check(addresses: list[IpAddress], *, allow_private: bool, field: str) -> None:
    if not addresses:
        raise _unresolved(field)
    # Every address: a name answering one public and one private address would otherwise
    # reach the private one on some connections.
    if not allow_private and any(refused_address(a) for a in addresses):
        raise _private_refusal(field)


def validate_webhook_url(url: str, *, allow_private: bool, field: str = "url") -> str:
    """The URL, trimmed, once its host resolves to addresses a webhook may reach.

    Blocking (``getaddrinfo``): call it where a form is saved, or through
    ``asyncio.to_thread``; sending checks again (``resolve_webhook_target``), since DNS may
    answer differently by then.
    """
    host, port = _split(url, field)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _unresolved(field) from None
    _check(_addresses(list(infos)), allow_private=allow_private, field=field)
    return url.strip()


async def resolve_webhook_target(
    url: str, *, allow_private: bool, field: str = "url"
) -> list[IpAddress]:
    """The addresses of the URL's host after the same checks as ``validate_webhook_url``."""
    host, port = _split(url, field)
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _unresolved(field) from None
    addresses = _addresses(list(infos))
    _check(addresses, allow_private=allow_private, field=field)
    return addresses


def validate_telegram_token(token: str, *, field: str = "telegram_token") -> str:
    value = token.strip()
    if not _TELEGRAM_TOKEN.match(value):
        raise InvalidInput(
            "Token bot Telegram tidak sesuai bentuknya. Salin utuh token dari @BotFather: "
            "angka, titik dua, lalu sekitar 35 huruf/angka (123456789:AA…).",
            field=field,
        )
    return value


def validate_telegram_chat_id(chat_id: str, *, field: str = "telegram_chat_id") -> str:
    value = chat_id.strip()
    if not _TELEGRAM_CHAT.match(value):
        raise InvalidInput(
            "ID chat Telegram tidak valid. Tulis angka ID chat (grup diawali tanda minus, "
            "misalnya -1001234567890) atau nama kanal publik yang diawali @.",
            field=field,
        )
    return value
