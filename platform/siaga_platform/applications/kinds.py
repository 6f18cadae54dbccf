"""The application kind must agree with the applicant's age on the regency's day.

A first card ("Pemula", the card at 17) is recorded from 16 (the card is printed once the
applicant turns 17) and is taken a few years late at most; someone older who never had a card
is rare and is registered under another kind with a note, as offices do. One place for the rule:
registration (page and JSON API) asks here.
"""

from __future__ import annotations

from datetime import date

from siaga_platform.applications.models import Reason
from siaga_platform.errors import InvalidInput

#: Ages (in whole years on the regency's day) a "Pemula" application is accepted for.
FIRST_CARD_MIN_AGE = 16
FIRST_CARD_MAX_AGE = 21


def age_on(birth_date: date, day: date) -> int:
    """Whole years on ``day`` (someone born on 29 February turns a year older on 1 March)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def first_card_age(age: int) -> bool:
    return FIRST_CARD_MIN_AGE <= age <= FIRST_CARD_MAX_AGE


def check_kind_agrees(reason: Reason, *, birth_date: date, today: date) -> None:
    """Refuses a "Pemula" application for someone too young or too old, naming the field."""
    if reason is not Reason.FIRST_CARD:
        return
    age = age_on(birth_date, today)
    if age < FIRST_CARD_MIN_AGE:
        raise InvalidInput(
            f"Pemohon baru berumur {age} tahun hari ini. Perekaman pemula dimulai umur "
            f"{FIRST_CARD_MIN_AGE} tahun (KTP-el dicetak setelah berumur 17 tahun): "
            "daftarkan lagi setelah ulang tahunnya.",
            field="reason",
        )
    if age > FIRST_CARD_MAX_AGE:
        raise InvalidInput(
            f"Jenis Pemula (17 tahun) hanya untuk pemohon berumur {FIRST_CARD_MIN_AGE}–"
            f"{FIRST_CARD_MAX_AGE} tahun; pemohon ini berumur {age} tahun hari ini. Periksa "
            "tanggal lahir, atau pilih jenis lain (Hilang, Rusak, Perubahan data, Pindah datang).",
            field="reason",
        )
