"""Remove personal data (NIKs, names, tokens, cookies) from anything leaving the process.

One scrubber serves Sentry events, transactions, breadcrumbs and log records.
"""

from __future__ import annotations

import re
from typing import Any

# A NIK is 16 digits; clerks also type it with spaces, dots or dashes between groups, and in a
# URL a space arrives as "+" or "%20".
_NIK_RUN = re.compile(r"(?<!\d)\d(?:(?:[ .+\-]|%20)?\d){15,}(?!\d)")
_JWT = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_BEARER = re.compile(r"(?i)bearer\s+[\w.~+/=-]+")
# Search terms in URLs: a register search carries a name or a NIK in ``q``/``name``/``nama``.
_SEARCH_PARAM = re.compile(r"(?i)(?<![\w])(q|name|nama|nik)=[^&\s\"']*")
FILTERED = "[Filtered]"

SENSITIVE_KEYS = frozenset(
    {
        "nik",
        "nama",
        "nama_lengkap",
        "full_name",
        "applicant_name",
        "holder_name",
        "password",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "logout_token",
        "authorization",
        "cookie",
        "cookies",
        "set-cookie",
        "session",
        "csrf_token",
        "x-csrf-token",
        "code",
        "code_verifier",
        "state",
        "nonce",
    }
)


def scrub_text(value: str) -> str:
    value = _NIK_RUN.sub("[NIK]", value)
    value = _JWT.sub(FILTERED, value)
    value = _SEARCH_PARAM.sub(lambda m: f"{m.group(1)}={FILTERED}", value)
    return _BEARER.sub("Bearer " + FILTERED, value)


def scrub(value: Any) -> Any:
    """A deep copy of ``value`` with sensitive keys filtered and NIK-like runs masked."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: FILTERED if isinstance(key, str) and key.lower() in SENSITIVE_KEYS else scrub(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value
