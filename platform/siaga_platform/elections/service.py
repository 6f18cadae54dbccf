"""Election readiness: per election and regency, who would be turned away on voting day and
what the regency can still do about it. Services flush, never commit; the actor is explicit.

The rule for a letter on voting day (one place, here and in the repository's query):

    A substitute letter covers its holder on voting day V when it is not revoked and its
    last valid day (``valid_until``) is V or later: ``valid_until >= V``.

So a letter whose last valid day is the day before voting does not cover its holder (it is
to renew); one whose last day is voting day itself, or the day after, does. This is the same
rule as the letter's own state (``Letter.state``: expired only when ``today > valid_until``).

Per regency (``regency_figures``, the one function every page, export and rule reads):

- ``recorded``: residents (distinct NIKs) with an open application recorded at least once
  (BC or later, card not handed over): the ones who need a letter until their card comes;
- ``turned_away``: of them, those who on voting day would hold neither a handed-over card nor
  a letter in force (by today's records: a card handed over before the day revokes the letter
  and closes the application, so the count falls as the office works);
- ``to_renew``: letters in force today whose last valid day falls before voting day;
- ``waiting_print``: records waiting to print (PRR or print queue); ``cards``: blank cards on
  hand plus in transit (pending loans in, cards the centre approved and has not delivered)
  less pending loans out; ``print_rate``: the regency's printing average over 30 days (cards
  printed per day in stock, the stock figures'); ``printable``: what those cards and that rate
  can print in the printing days left (``print_days``: up to the day before the day before
  voting, one day being kept to hand the cards over); ``shortfall``: records left unprinted;
- ``after_printing``: of the residents turned away, those still turned away once the office
  has printed what it can before the day (its printable cards going first to records waiting
  to print whose holder has no letter): they need a letter (or a renewal) to vote. The
  regencies are ranked on it, worst first;
- ``act_by``: the last day the regency can act so that nobody is turned away: the earliest of
  the first letter to renew lapsing, the last day to start printing the pile at the printing
  rate (today when cards are short or no rate is known), and the day before voting for
  letters still to issue. None when there is nothing to do. A date before today is overdue.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from siaga_platform.applications import repository as applications
from siaga_platform.applications.statuses import RECORDED_OR_LATER, WAITING_PRINT, Status
from siaga_platform.audit import service as audit
from siaga_platform.auth.principal import Principal, Role
from siaga_platform.elections import permissions, repository
from siaga_platform.elections.models import Election, ElectionLevel, ElectionRegency
from siaga_platform.errors import DomainError, InvalidInput, NotFound
from siaga_platform.letters import service as letters
from siaga_platform.letters.models import Letter
from siaga_platform.privacy.crypto import FieldCipher
from siaga_platform.rollup.rows import Regency
from siaga_platform.rollup.severity import Level
from siaga_platform.stock import figures as stock_figures
from siaga_platform.stock import repository as stock
from siaga_platform.stock.models import Item

#: Open applications recorded at least once: the residents who depend on a letter.
NEEDS_COVER = frozenset(RECORDED_OR_LATER - {Status.ISSUED})
#: Days kept between the last print and voting day to hand the cards over.
HANDOVER_DAYS = 1
MAX_DAYS_AHEAD = 3 * 366


def in_force_on(valid_until: date, revoked: bool, voting_day: date) -> bool:
    """The edge rule (module docstring): a letter covers voting day when not revoked and its
    last valid day is voting day or later."""
    return not revoked and valid_until >= voting_day


@dataclass(frozen=True, slots=True)
class Readiness:
    regency: Regency
    voting_day: date
    recorded: int
    turned_away: int
    uncovered_waiting: int  # of those turned away, records waiting to print
    to_renew: int
    first_lapse: date | None  # the earliest last valid day among the letters to renew
    waiting_print: int
    on_hand: int
    incoming: int
    outgoing: int
    print_rate: float | None
    print_days: int
    printable: int
    act_by: date | None

    @property
    def days_left(self) -> int:
        return (self.voting_day - self.regency.today).days

    @property
    def after_printing(self) -> int:
        return self.turned_away - min(self.printable, self.uncovered_waiting)

    @property
    def cards(self) -> int:
        return max(0, self.on_hand + self.incoming - self.outgoing)

    @property
    def shortfall(self) -> int:
        return self.waiting_print - self.printable

    @property
    def can_print(self) -> bool:
        return self.shortfall == 0

    @property
    def cards_short(self) -> int:
        return max(0, self.waiting_print - self.cards)

    @property
    def overdue(self) -> bool:
        return self.act_by is not None and self.act_by < self.regency.today

    @property
    def level(self) -> Level:
        """Red: residents would be turned away and the day to act has come or passed, or the
        pile cannot be printed in time; amber: residents would be turned away; green: none."""
        if self.turned_away == 0 and self.can_print:
            return Level.OK
        if not self.can_print or (self.act_by is not None and self.act_by <= self.regency.today):
            return Level.BAD
        return Level.WARN


def _act_by(
    today: date,
    voting_day: date,
    *,
    turned_away: int,
    first_lapse: date | None,
    waiting: int,
    cards: int,
    rate: float | None,
) -> date | None:
    candidates: list[date] = []
    if first_lapse is not None:
        candidates.append(first_lapse)
    if waiting > 0:
        if cards < waiting or not rate:
            candidates.append(today)
        else:
            needed = math.ceil(waiting / rate)
            candidates.append(voting_day - timedelta(days=HANDOVER_DAYS + needed))
    if turned_away > 0:
        candidates.append(voting_day - timedelta(days=1))
    return min(candidates) if candidates else None


async def regency_figures(
    db: AsyncSession, voting_day: date, regencies: Sequence[Regency]
) -> list[Readiness]:
    """The readiness of ``regencies`` (all in the session's read scope) for ``voting_day``,
    unsorted: a handful of grouped statements whatever their number."""
    if not regencies:
        return []
    earliest = min(r.today for r in regencies)
    since = earliest - timedelta(days=stock_figures.WINDOW_DAYS - 1)
    covered = await repository.without_letter_on(db, NEEDS_COVER, WAITING_PRINT, voting_day)
    lapsing = await repository.expiring_before(db, voting_day)
    demand = await applications.print_demand(db, since)
    balances = {b.tenant_id: b for b in await stock.balances(db, Item.BLANK_CARD)}
    days = await stock.days_since(db, Item.BLANK_CARD, since)
    transit = await stock_figures.in_transit(db)
    result = []
    for regency in regencies:
        tid, today = regency.tenant_id, regency.today
        recorded, turned_away, uncovered_waiting = covered.get(tid, (0, 0, 0))
        renew = [(d, n) for d, n in lapsing.get(tid, []) if d >= today]
        balance = balances.get(tid)
        waiting, arrived = demand.get(tid, (0, 0))
        figures, _ = stock_figures.from_days(
            on_hand=balance.on_hand if balance else 0,
            out_since=balance.out_since if balance else None,
            days=days.get(tid, []),
            today=today,
            low_stock_days=regency.low_stock_days,
            waiting_print=waiting,
            arrived=arrived,
        )
        rate = figures.average_daily_consumption
        incoming, outgoing = transit.incoming.get(tid, 0), transit.outgoing.get(tid, 0)
        cards = max(0, figures.on_hand + incoming - outgoing)
        print_days = max(0, (voting_day - today).days - HANDOVER_DAYS)
        by_rate = math.floor(rate * print_days) if rate else 0
        first_lapse = renew[0][0] if renew else None
        result.append(
            Readiness(
                regency=regency,
                voting_day=voting_day,
                recorded=recorded,
                turned_away=turned_away,
                uncovered_waiting=uncovered_waiting,
                to_renew=sum(n for _d, n in renew),
                first_lapse=first_lapse,
                waiting_print=waiting,
                on_hand=figures.on_hand,
                incoming=incoming,
                outgoing=outgoing,
                print_rate=rate,
                print_days=print_days,
                printable=min(waiting, cards, by_rate),
                act_by=_act_by(
                    today,
                    voting_day,
                    turned_away=turned_away,
                    first_lapse=first_lapse,
                    waiting=waiting,
                    cards=cards,
                    rate=rate,
                ),
            )
        )
    return result


LEVEL_RANK = {Level.BAD: 0, Level.WARN: 1, Level.OK: 2, Level.NONE: 3}


def worst_first(rows: Sequence[Readiness]) -> list[Readiness]:
    """Red before amber before green; within a colour, most residents still turned away after
    printing first; then the larger print shortfall, the earlier day to act, the name."""
    far = date.max
    return sorted(
        rows,
        key=lambda r: (
            LEVEL_RANK[r.level],
            -r.after_printing,
            -r.shortfall,
            r.act_by or far,
            r.regency.name,
        ),
    )


# --- setting an election --------------------------------------------------------------------


async def create(
    db: AsyncSession,
    principal: Principal,
    *,
    name: str,
    voting_day: date | None,
    province_code: str | None,
    regencies: Sequence[tuple[uuid.UUID, str]],
    today: date,
    now: datetime,
) -> Election:
    """An election day: national (``province_code`` None, platform admins) or regional (the
    province's supervisor, or an admin). ``regencies``: (tenant id, province code) of each
    regency concerned; a regional election's must all lie in its province."""
    permissions.check_create(principal, province_code)
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput("Nama pemilihan wajib diisi.", field="name")
    if len(name) > 120:
        raise InvalidInput("Nama pemilihan paling panjang 120 huruf.", field="name")
    if voting_day is None:
        raise InvalidInput("Tanggal pemungutan suara wajib diisi.", field="voting_day")
    if voting_day <= today:
        raise InvalidInput("Tanggal pemungutan suara harus sesudah hari ini.", field="voting_day")
    if voting_day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(
            "Tanggal pemungutan suara paling jauh tiga tahun lagi.", field="voting_day"
        )
    chosen = dict(regencies)
    if not chosen:
        raise InvalidInput("Pilih paling sedikit satu kabupaten/kota.", field="regencies")
    if province_code is not None and any(p != province_code for p in chosen.values()):
        raise InvalidInput(
            "Pemilihan daerah hanya untuk kabupaten/kota di provinsi ini.", field="regencies"
        )
    if principal.role is Role.SUPERVISOR_PROVINSI and not set(chosen) <= set(
        principal.province_tenant_ids
    ):
        raise InvalidInput(
            "Pemilihan daerah hanya untuk kabupaten/kota di provinsi ini.", field="regencies"
        )
    election = Election(
        name=name,
        voting_day=voting_day,
        level=ElectionLevel.NATIONAL if province_code is None else ElectionLevel.PROVINCE,
        province_code=province_code,
        created_by=principal.subject,
        created_at=now,
    )
    db.add(election)
    await db.flush()
    db.add_all(ElectionRegency(election_id=election.id, regency_id=t) for t in sorted(chosen))
    await db.flush()
    return election


async def get_for(db: AsyncSession, principal: Principal, election_id: uuid.UUID) -> Election:
    election = await repository.get(db, election_id)
    if election is None:
        raise NotFound(permissions.NOT_FOUND)
    permissions.check_view(principal, election)
    return election


async def concerned(db: AsyncSession, election: Election) -> list[uuid.UUID]:
    return await repository.regency_ids(db, election.id)


async def upcoming(
    db: AsyncSession, *, province_code: str | None, national: bool, today: date
) -> Sequence[Election]:
    return await repository.listed(db, province_code=province_code, national=national, since=today)


async def for_regency(db: AsyncSession, regency_id: uuid.UUID, today: date) -> Sequence[Election]:
    return await repository.for_regency(db, regency_id, today)


# --- the regency's letters to renew ---------------------------------------------------------


async def _regency_election(
    db: AsyncSession, principal: Principal, election_id: uuid.UUID
) -> Election:
    """The election, for a regency's own staff, when it concerns their regency."""
    regency_id = permissions.check_regency_staff(principal)
    election = await repository.get(db, election_id)
    if election is None or regency_id not in await repository.regency_ids(db, election.id):
        raise NotFound(permissions.NOT_FOUND)
    return election


async def letters_to_renew(
    db: AsyncSession, principal: Principal, election_id: uuid.UUID, *, today: date
) -> tuple[Election, Sequence[Letter]]:
    """The regency's letters in force today that lapse before voting day (their holders
    masked on the letter itself), for the regency's own staff; each reading is audited."""
    election = await _regency_election(db, principal, election_id)
    found = await repository.letters_expiring(db, today, election.voting_day)
    assert principal.tenant_id is not None
    await audit.record(
        db,
        tenant_id=principal.tenant_id,
        actor_subject=principal.subject,
        action="election.letters_to_renew_viewed",
        object_type="election",
        object_id=str(election.id),
        details={"letters": len(found)},
    )
    return election, found


@dataclass(frozen=True, slots=True)
class BulkRenewal:
    renewed: list[Letter]
    refused: list[tuple[Letter, str]]  # the letter and why (a clerk's sentence)


async def renew_before(
    db: AsyncSession,
    principal: Principal,
    cipher: FieldCipher,
    regions: letters.KecamatanNames,
    election_id: uuid.UUID,
    *,
    policy: letters.LetterPolicy,
    today: date,
    now: datetime,
) -> BulkRenewal:
    """Renew every letter of the regency in force today that lapses before voting day, each
    an ordinary renewal (``letters.service.renew``: its own history, its own checks). A letter
    the service refuses (e.g. the applicant's card was printed) is left as it was and reported;
    the others are renewed. Each renewal runs in a savepoint so a refusal undoes only itself."""
    election, found = await letters_to_renew(db, principal, election_id, today=today)
    renewed: list[Letter] = []
    refused: list[tuple[Letter, str]] = []
    for letter in found:
        try:
            async with db.begin_nested():
                renewed.append(
                    await letters.renew(
                        db,
                        principal,
                        cipher,
                        regions,
                        letter.id,
                        expected_version=letter.version,
                        policy=policy,
                        today=today,
                        now=now,
                    )
                )
        except DomainError as error:
            refused.append((letter, error.message))
    if renewed or refused:
        assert principal.tenant_id is not None
        await audit.record(
            db,
            tenant_id=principal.tenant_id,
            actor_subject=principal.subject,
            action="election.letters_renewed",
            object_type="election",
            object_id=str(election.id),
            details={"renewed": len(renewed), "refused": len(refused)},
        )
    return BulkRenewal(renewed, refused)
