"""What a channel sends: one ``Notice``, and the wall against personal data in it."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from siaga_platform.notify.failures import PersonalDataInMessage
from siaga_platform.notify.local_time import format_local_time, zone_of

#: Idempotency keys travel in headers (``Idempotency-Key``, ``Message-ID``) and file names:
#: words of letters, digits, ``_`` and ``-`` joined by single ``.`` or ``:`` (``alert-7f3a:1``),
#: so none of them needs quoting or can break a header.
IDEMPOTENCY_KEY = re.compile(r"^(?=.{1,200}$)[A-Za-z0-9_-]+(?:[.:][A-Za-z0-9_-]+)*$")

#: The webhook's event names (``alert.opened``); it travels in a header too.
EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")

# A NIK is 16 digits, written plain or in groups (``3201 1234 5678 0001``, dots or dashes);
# the same shape the log scrubber masks (siaga_platform.observability.scrub).
_NIK_RUN = re.compile(r"(?<!\d)\d(?:[ .\-\u00a0]?\d){15,}(?!\d)")
# Links hold ids (a UUID's groups may all be digits): only an unbroken run counts there.
_PLAIN_RUN = re.compile(r"\d{16,}")
_TAG = re.compile(r"<[^>]*>")
_URL = re.compile(r"https?://[^\s\"'<>]+")


class Level(StrEnum):
    GAWAT = "gawat"  # act now (stock out, printer down)
    PERHATIKAN = "perhatikan"  # look soon (stock low)
    PULIH = "pulih"  # the condition has cleared


LEVEL_LABEL = {Level.GAWAT: "GAWAT", Level.PERHATIKAN: "PERHATIKAN", Level.PULIH: "PULIH"}
LEVEL_COLOUR = {Level.GAWAT: "#b42318", Level.PERHATIKAN: "#b54708", Level.PULIH: "#067647"}


@dataclass(frozen=True)
class Notice:
    """One alert message, ready for any channel.

    ``text`` is plain text (e-mail's text part, Telegram, the webhook); ``html`` the e-mail's
    HTML part; ``facts`` short label → value pairs a receiving system can read (webhook JSON).
    ``idempotency_key`` is the same for every try of the same message (see ``IDEMPOTENCY_KEY``).
    ``occurred_at``/``zone`` date the e-mail in the regency's clock (WIB/WITA/WIT).
    """

    subject: str
    text: str
    html: str
    idempotency_key: str
    level: Level | str = Level.PERHATIKAN
    link: str | None = None
    facts: Mapping[str, str] = field(default_factory=dict)
    occurred_at: datetime | None = None
    zone: str = "WIB"
    #: The event name of the webhook body (``alert.opened``, ``alert.resolved``, ``test``…).
    event: str = "alert"

    def __post_init__(self) -> None:
        if not IDEMPOTENCY_KEY.match(self.idempotency_key):
            raise ValueError(
                "idempotency_key: up to 200 characters, words of letters, digits, _ and - "
                "joined by single . or : "
                f"(got {self.idempotency_key!r})"
            )
        if not EVENT_NAME.match(self.event):
            raise ValueError(
                f"event: a short dotted name such as alert.opened (got {self.event!r})"
            )
        object.__setattr__(self, "level", Level(self.level))
        zone_of(self.zone)  # refuses an unknown zone now, not at send time
        if not self.subject.strip() or not self.text.strip():
            raise ValueError("a notice needs a subject and a text")


def assert_no_personal_data(notice: Notice) -> None:
    """Raise ``PersonalDataInMessage`` when any part of ``notice`` holds a NIK-like run.

    Every channel calls this before sending: the alert texts are built without personal data,
    and this is the last wall should one ever slip in (a note typed by a clerk, say).
    """
    parts: list[tuple[str, str]] = [
        ("judul (subject)", notice.subject),
        ("teks (text)", notice.text),
        ("HTML", notice.html),
        # Markup between digits would hide a run from the plain check: read the text too.
        ("HTML", html_lib.unescape(_TAG.sub("", notice.html))),
    ]
    for key, value in notice.facts.items():
        # The label is not named in the reason: it may be the very NIK.
        parts.append(("fakta (facts)", f"{key} {value}"))
    for where, value in parts:
        if _holds_nik(value):
            raise PersonalDataInMessage(where)
    if notice.link is not None and _PLAIN_RUN.search(notice.link):
        raise PersonalDataInMessage("tautan (link)")


def _holds_nik(value: str) -> bool:
    """A NIK-like run in the prose, or an unbroken 16-digit run in a URL within it."""
    if any(_PLAIN_RUN.search(url) for url in _URL.findall(value)):
        return True
    return _NIK_RUN.search(_URL.sub(" ", value)) is not None


def compose_notice(
    *,
    subject: str,
    level: Level | str,
    lines: Sequence[str],
    idempotency_key: str,
    occurred_at: datetime,
    zone: str,
    facts: Mapping[str, str] | None = None,
    link: str | None = None,
    event: str = "alert",
) -> Notice:
    """A ``Notice`` whose text and HTML say the same thing: the level, the lines, the facts,
    the time in the regency's zone and the link. Everything given is escaped in the HTML."""
    level = Level(level)
    facts = dict(facts or {})
    when = format_local_time(occurred_at, zone)
    label = LEVEL_LABEL[level]

    text_parts = [f"[{label}] {subject}", "", *lines]
    if facts:
        text_parts.append("")
        text_parts.extend(f"{key}: {value}" for key, value in facts.items())
    text_parts += ["", f"Waktu: {when}"]
    if link:
        text_parts.append(f"Buka: {link}")
    text_parts += ["", "Pesan otomatis dari Siaga. Jangan dibalas."]

    e = html_lib.escape
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{e(k)}</th><td>{e(v)}</td></tr>'
        for k, v in facts.items()
    )
    body = [
        f'<p style="color:{LEVEL_COLOUR[level]};font-weight:bold">{e(label)}</p>',
        f'<h1 style="font-size:18px">{e(subject)}</h1>',
        *(f"<p>{e(line)}</p>" for line in lines),
    ]
    if rows:
        body.append(f"<table>{rows}</table>")
    body.append(f"<p>Waktu: {e(when)}</p>")
    if link:
        body.append(f'<p><a href="{e(link)}">Buka di Siaga</a></p>')
    body.append(
        '<p style="color:#667085;font-size:12px">Pesan otomatis dari Siaga. Jangan dibalas.</p>'
    )
    page = (
        '<!DOCTYPE html><html lang="id"><head><meta charset="utf-8">'
        f"<title>{e(subject)}</title></head>"
        f'<body style="font-family:sans-serif">{"".join(body)}</body></html>'
    )
    return Notice(
        subject=subject,
        text="\n".join(text_parts),
        html=page,
        idempotency_key=idempotency_key,
        level=level,
        link=link,
        facts=facts,
        occurred_at=occurred_at,
        zone=zone,
        event=event,
    )
