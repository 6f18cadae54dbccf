"""How a delivery fails, and how long to wait before the next try."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: Never wait longer than this on a server's say-so (a ``Retry-After`` of a day is a bug there).
MAX_RETRY_AFTER_SECONDS = 6 * 3600


class DeliveryFailed(Exception):
    """A message was not delivered.

    ``reason`` is short, in Bahasa Indonesia with the technical cause in English where it helps
    an administrator (``SMTP 451``), and never holds a secret, a token or the message itself.
    ``retryable`` says whether the same message may succeed later (a busy or unreachable
    server) or never will (a refused address, a wrong token): the job retries only the first.
    ``retry_after`` is the server's own delay in seconds, when it gave one.
    ``maybe_delivered``: the request went out and its answer was lost (a read time-out), so the
    message may have arrived; a channel with an idempotency key makes the retry harmless, and
    Telegram (which has none) may show it twice.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        maybe_delivered: bool = False,
    ) -> None:
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered
        super().__init__(reason)

    def __repr__(self) -> str:
        return (
            f"DeliveryFailed({self.reason!r}, retryable={self.retryable}, "
            f"retry_after={self.retry_after})"
        )


class PersonalDataInMessage(DeliveryFailed):
    """The message carries what looks like a NIK: refused, and retrying cannot help."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"Pesan ditolak: {where} memuat deretan 16 angka (mirip NIK). Pesan peringatan "
            "tidak boleh memuat data pribadi (personal data refused).",
            retryable=False,
        )


def backoff_seconds(
    attempt: int, *, base: float = 30, cap: float = 3600, rng: random.Random
) -> float:
    """Full jitter: a uniform wait in ``[0, min(cap, base * 2**(attempt - 1))]``.

    ``attempt`` is 1 for the wait after the first failure. Spreading the waits over the whole
    range keeps the workers that failed together (a mail server down for everyone) from
    coming back together.
    """
    if attempt < 1:
        raise ValueError("attempt starts at 1 (the wait after the first failure)")
    ceiling = min(cap, base * 2 ** min(attempt - 1, 62))
    return rng.uniform(0, ceiling)


def retry_delay(
    failure: DeliveryFailed,
    attempt: int,
    *,
    base: float = 30,
    cap: float = 3600,
    rng: random.Random,
) -> float:
    """The wait before the next try: the backoff, but never less than the server asked for."""
    delay = backoff_seconds(attempt, base=base, cap=cap, rng=rng)
    if failure.retry_after is not None:
        delay = max(delay, min(failure.retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """An HTTP ``Retry-After``: seconds (``120``) or a date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER_SECONDS))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return float(min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS))
