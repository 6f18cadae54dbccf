"""Alert e-mail over SMTP: one message, text and HTML, in Bahasa Indonesia.

``smtplib`` runs in a worker thread (one short conversation per message; no extra dependency).
SMTP cannot promise "exactly once": a connection lost after the server took the message but
before it answered looks like a failure, and the retry sends it again. The ``Message-ID`` is
derived from the idempotency key, so the copy carries the same id and mail clients (and most
mailbox providers) show it once.

Without ``SIAGA_SMTP_HOST`` in development, each message is written to ``var/mail/`` as an
``.eml`` file (open it with any mail program) and the path is logged.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import smtplib
import ssl
import string
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from pathlib import Path

from siaga_platform.config import VAR_DIR, Settings, SmtpSecurity
from siaga_platform.errors import InvalidInput
from siaga_platform.notify.failures import DeliveryFailed
from siaga_platform.notify.local_time import to_local
from siaga_platform.notify.message import LEVEL_LABEL, Level, Notice, assert_no_personal_data
from siaga_platform.notify.validation import validate_email

logger = logging.getLogger(__name__)
MAIL_SINK_DIR = VAR_DIR / "mail"
_HEADER_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None
    port: int = 587
    username: str | None = None
    password: str | None = None
    sender: str = "Siaga <siaga@localhost>"
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    timeout_seconds: float = 30
    #: Where messages go when ``host`` is unset (development); None: refuse to send.
    sink_dir: Path | None = None
    #: The TLS context (tests trust their own certificate); None: the system's CAs.
    tls_context: ssl.SSLContext | None = None


def smtp_settings(settings: Settings) -> SmtpSettings:
    """The SMTP part of the process settings; the ``var/mail/`` sink only in development."""
    return SmtpSettings(
        host=settings.smtp_host or None,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        sender=settings.smtp_from,
        security=settings.smtp_security,
        timeout_seconds=settings.smtp_timeout_seconds,
        sink_dir=None if settings.is_production else MAIL_SINK_DIR,
    )


def message_id(idempotency_key: str) -> str:
    """The same ``Message-ID`` for every try of the same message: ``<alert-7f3a=1@siaga>``.

    A ``:`` may not stand in a Message-ID (RFC 5322 dot-atom): it becomes ``=``, which keys
    never hold, so two keys never share an id.
    """
    return f"<{_id_part(idempotency_key)}@siaga>"


def _id_part(idempotency_key: str) -> str:
    return idempotency_key.replace(":", "=")


def build_email(
    settings: SmtpSettings, to: str, notice: Notice, *, now: datetime | None = None
) -> EmailMessage:
    """The MIME message: ``multipart/alternative`` (text, then HTML), UTF-8 throughout, dated
    in the regency's own zone (``+0800`` for WITA)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = settings.sender
    message["To"] = to
    # A header holds one line: collapse any line break the subject might carry.
    message["Subject"] = _HEADER_SPACE.sub(" ", notice.subject).strip()
    message["Date"] = format_datetime(to_local(now or datetime.now(UTC), notice.zone))
    message["Message-ID"] = message_id(notice.idempotency_key)
    # RFC 3834: out-of-office robots must not answer an alert.
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = "id"
    message["X-Siaga-Level"] = LEVEL_LABEL[Level(notice.level)]
    message.set_content(notice.text, charset="utf-8")
    message.add_alternative(notice.html, subtype="html", charset="utf-8")
    # The default boundary is a long random number: a 16-digit run a mail gateway's
    # personal-data filter would flag as a NIK. Letters only.
    message.set_boundary(
        "siaga-" + "".join(secrets.choice(string.ascii_letters) for _ in range(24))
    )
    return message


async def send_email(
    settings: SmtpSettings, to: str, notice: Notice, *, now: datetime | None = None
) -> Path | None:
    """Send ``notice`` to ``to``; the ``.eml`` path when written to the sink instead.

    Raises ``DeliveryFailed``: retryable for a busy or unreachable server (SMTP 4xx, refused
    connection, time-out), not for a refused address, sender or login (SMTP 5xx).
    """
    assert_no_personal_data(notice)
    try:
        to = validate_email(to)
    except InvalidInput as error:
        raise DeliveryFailed(error.message, retryable=False) from None
    message = build_email(settings, to, notice, now=now)
    if settings.host is None:
        if settings.sink_dir is None:
            raise DeliveryFailed(
                "Server e-mail belum diatur (SIAGA_SMTP_HOST): e-mail tidak dapat dikirim.",
                retryable=False,
            )
        return await asyncio.to_thread(_write_to_sink, settings.sink_dir, notice, message)
    await asyncio.to_thread(_send_sync, settings, to, message)
    return None


def _write_to_sink(folder: Path, notice: Notice, message: EmailMessage) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    # One file per key: a retry rewrites the same file, as a mail client would show one copy.
    path = folder / f"{_id_part(notice.idempotency_key)}.eml"
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(handle, "wb") as out:
        out.write(message.as_bytes())
    Path(temporary).replace(path)
    logger.info("E-mail written to %s (SIAGA_SMTP_HOST is not set)", path)
    return path


def _send_sync(settings: SmtpSettings, to: str, message: EmailMessage) -> None:
    assert settings.host is not None
    context = settings.tls_context or ssl.create_default_context()
    envelope_from = parseaddr(settings.sender)[1] or settings.sender
    try:
        client: smtplib.SMTP
        if settings.security is SmtpSecurity.TLS:
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout_seconds, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        with client:
            client.ehlo()
            if settings.security is SmtpSecurity.STARTTLS:
                client.starttls(context=context)
                client.ehlo()
            if settings.username:
                client.login(settings.username, settings.password or "")
            client.send_message(message, from_addr=envelope_from, to_addrs=[to])
    except Exception as error:
        raise classify_smtp_error(error) from error


def _by_code(code: int, what: str) -> DeliveryFailed:
    if 400 <= code < 500:
        return DeliveryFailed(
            f"Server e-mail menolak sementara ({what}, SMTP {code}); akan dicoba lagi.",
            retryable=True,
        )
    return DeliveryFailed(
        f"Server e-mail menolak {what} (SMTP {code}); periksa alamat dan pengaturan SMTP.",
        retryable=False,
    )


def classify_smtp_error(error: BaseException) -> DeliveryFailed:
    """What a failure of the SMTP conversation means for a retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return _by_code(max(codes, default=550), "penerima (recipient)")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return DeliveryFailed(
            "Server e-mail tidak mendukung STARTTLS/login; periksa SIAGA_SMTP_SECURITY dan "
            "SIAGA_SMTP_PORT.",
            retryable=False,
        )
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return _by_code(error.smtp_code, "login")
    if isinstance(error, smtplib.SMTPSenderRefused):
        return _by_code(error.smtp_code, "pengirim (sender)")
    if isinstance(error, smtplib.SMTPResponseException):
        return _by_code(error.smtp_code, "pesan")
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(
        error.__context__, TimeoutError
    ):
        # smtplib reports a read that timed out as a lost connection.
        error = error.__context__
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryFailed(
            "Server e-mail memutus sambungan (disconnected); akan dicoba lagi.", retryable=True
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return DeliveryFailed(
            "Sertifikat TLS server e-mail tidak dapat diverifikasi; periksa SIAGA_SMTP_HOST.",
            retryable=False,
        )
    if isinstance(error, TimeoutError):
        return DeliveryFailed(
            "Server e-mail tidak menjawab (timeout); akan dicoba lagi.", retryable=True
        )
    if isinstance(error, ConnectionRefusedError):
        return DeliveryFailed(
            "Server e-mail menolak sambungan (connection refused); akan dicoba lagi.",
            retryable=True,
        )
    if isinstance(error, OSError | smtplib.SMTPException):
        return DeliveryFailed(
            f"Server e-mail tidak dapat dihubungi ({type(error).__name__}); akan dicoba lagi.",
            retryable=True,
        )
    return DeliveryFailed(f"Gagal mengirim e-mail ({type(error).__name__}).", retryable=False)
