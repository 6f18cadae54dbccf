"""The NIK (Nomor Induk Kependudukan): ``PP RR KK DDMMYY SSSS``, 16 digits, no check digit.

- PP RR KK: province, regency, kecamatan where the NIK was first issued (never the current
  address).
- DD: day of birth, women add 40 (41–71); MM month; YY year, in the century that puts the birth
  date in the past (so a NIK alone never names a future date; a birth date typed on a form can,
  and is refused there).
- SSSS: serial from 0001.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from siaga_platform.errors import InvalidInput

_SEPARATORS = re.compile(r"[\s.\-]")
_ASCII_DIGITS = re.compile(r"[0-9]+")


class Sex(StrEnum):
    MALE = "L"  # laki-laki
    FEMALE = "P"  # perempuan


class NikInvalid(InvalidInput):
    pass


@dataclass(frozen=True, slots=True)
class Nik:
    digits: str
    birth_date: date
    sex: Sex

    @property
    def province_code(self) -> str:
        return self.digits[0:2]

    @property
    def regency_code(self) -> str:
        return f"{self.digits[0:2]}.{self.digits[2:4]}"

    @property
    def kecamatan_code(self) -> str:
        return f"{self.regency_code}.{self.digits[4:6]}"

    @property
    def serial(self) -> str:
        return self.digits[12:16]

    @property
    def masked(self) -> str:
        """For lists: region prefix and serial only, e.g. ``6212********0001``."""
        return mask(self.digits)


def mask(digits: str) -> str:
    return f"{digits[:4]}{'*' * 8}{digits[12:]}"


def normalize(raw: str) -> str:
    return _SEPARATORS.sub("", raw or "")


def parse_nik(raw: str, *, today: date) -> Nik:
    """A valid NIK, or NikInvalid saying what is wrong (never echoing the number)."""
    digits = normalize(raw)
    if not digits:
        raise NikInvalid("NIK wajib diisi (16 angka).", field="nik")
    if not _ASCII_DIGITS.fullmatch(digits):  # str.isdigit() also accepts "６" and "²"
        raise NikInvalid("NIK hanya boleh berisi angka.", field="nik")
    if len(digits) != 16:
        raise NikInvalid(f"NIK harus 16 angka (yang diisi {len(digits)} angka).", field="nik")
    day, month, year = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    sex = Sex.MALE
    if 41 <= day <= 71:
        sex, day = Sex.FEMALE, day - 40
    elif not 1 <= day <= 31:
        raise NikInvalid(
            "Angka tanggal lahir di NIK tidak mungkin (laki-laki 01–31, perempuan 41–71).",
            field="nik",
        )
    if not 1 <= month <= 12:
        raise NikInvalid("Angka bulan lahir di NIK harus 01–12.", field="nik")
    if digits[12:16] == "0000":
        raise NikInvalid("Nomor urut NIK (4 angka terakhir) tidak boleh 0000.", field="nik")
    born = _birth_date(day, month, year, today)
    if born > today:
        raise NikInvalid("Tanggal lahir di NIK ada di masa depan.", field="nik")
    return Nik(digits=digits, birth_date=born, sex=sex)


def _birth_date(day: int, month: int, year: int, today: date) -> date:
    for century in (2000, 1900):
        try:
            candidate = date(century + year, month, day)
        except ValueError:
            continue  # 29 Feb may exist in 2000 and not in 1900
        if candidate <= today:
            return candidate
    raise NikInvalid(
        "Tanggal lahir di NIK tidak ada di kalender (mis. 30 Februari, atau 29 Februari di "
        "tahun bukan kabisat).",
        field="nik",
    )


def check_form_agrees(nik: Nik, *, birth_date: date, sex: Sex, today: date) -> None:
    """The birth date and sex typed on the form must agree with the NIK; says which field."""
    if birth_date > today:
        raise InvalidInput("Tanggal lahir tidak boleh di masa depan.", field="birth_date")
    # Day, month and the two-digit year must agree; the century comes from the form (a NIK
    # alone reads someone born in 1925 as 2025).
    if (birth_date.day, birth_date.month, birth_date.year % 100) != (
        nik.birth_date.day,
        nik.birth_date.month,
        nik.birth_date.year % 100,
    ):
        raise InvalidInput(
            "Tanggal lahir tidak sama dengan tanggal lahir di NIK. Periksa tanggal lahir atau NIK.",
            field="birth_date",
        )
    if sex != nik.sex:
        raise InvalidInput(
            "Jenis kelamin tidak sesuai dengan NIK (perempuan: tanggal di NIK ditambah 40).",
            field="sex",
        )
