"""The NIK rules of DOMAIN.md, as a table."""

from __future__ import annotations

from datetime import date

import pytest

from siaga_platform.applications.nik import NikInvalid, Sex, check_form_agrees, parse_nik
from siaga_platform.errors import InvalidInput

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("raw", "born", "sex"),
    [
        ("6212015708950001", date(1995, 8, 17), Sex.FEMALE),  # DOMAIN.md's example: day 57 = 17
        ("6212011708950001", date(1995, 8, 17), Sex.MALE),
        ("6212 0117 0895 0001", date(1995, 8, 17), Sex.MALE),  # typed with spaces
        ("62.12.01-170895-0001", date(1995, 8, 17), Sex.MALE),
        ("6212012902000001", date(2000, 2, 29), Sex.MALE),  # 29 Feb in a leap year
        ("6212016902040001", date(2004, 2, 29), Sex.FEMALE),
        ("6212010112260001", date(1926, 12, 1), Sex.MALE),  # 2026-12-01 is ahead: 1926
        ("6212012711260001", date(2026, 11, 27), Sex.MALE),  # born today: this century
    ],
)
def test_valid(raw: str, born: date, sex: Sex) -> None:
    nik = parse_nik(raw, today=TODAY)
    assert (nik.birth_date, nik.sex) == (born, sex)
    assert nik.masked == "6212********0001"
    assert nik.regency_code == "62.12" and nik.kecamatan_code == "62.12.01"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("6212012902010001", "kalender"),  # 29 Feb 2001/1901: no leap year
        ("6212013208950001", "tanggal lahir"),  # day 32
        ("6212017208950001", "tanggal lahir"),  # day 72 (a woman's 32)
        ("6212011713950001", "bulan"),  # month 13
        ("6212011700950001", "bulan"),  # month 00
        ("6212011708950000", "0000"),  # serial 0000
        ("621201170895001", "16 angka"),  # 15 digits
        ("62120117089500011", "16 angka"),  # 17 digits
        ("62120117O8950001", "angka"),  # a letter O
        ("６２１２０１１７０８９５０００１", "angka"),  # fullwidth digits: not the same NIK
        ("6212010²01900001", "angka"),  # a superscript two
        ("", "16 angka"),
    ],
)
def test_invalid(raw: str, says: str) -> None:
    with pytest.raises(NikInvalid, match=says) as refused:
        parse_nik(raw, today=TODAY)
    assert refused.value.field == "nik"
    assert raw not in refused.value.message or raw == ""


def test_form_must_agree_with_the_nik_and_says_which_field() -> None:
    nik = parse_nik("6212015708950001", today=TODAY)
    check_form_agrees(nik, birth_date=date(1995, 8, 17), sex=Sex.FEMALE, today=TODAY)
    with pytest.raises(InvalidInput) as wrong_date:
        check_form_agrees(nik, birth_date=date(1995, 8, 18), sex=Sex.FEMALE, today=TODAY)
    assert wrong_date.value.field == "birth_date"
    with pytest.raises(InvalidInput) as wrong_sex:
        check_form_agrees(nik, birth_date=date(1995, 8, 17), sex=Sex.MALE, today=TODAY)
    assert wrong_sex.value.field == "sex"


def test_someone_born_before_1927_keeps_the_century_from_the_form() -> None:
    nik = parse_nik("6212012503250001", today=TODAY)  # read as 2025-03-25 from the NIK alone
    assert nik.birth_date == date(2025, 3, 25)
    check_form_agrees(nik, birth_date=date(1925, 3, 25), sex=Sex.MALE, today=TODAY)
    with pytest.raises(InvalidInput):
        check_form_agrees(nik, birth_date=date(1925, 3, 26), sex=Sex.MALE, today=TODAY)


def test_future_birth_date_is_refused() -> None:
    # A NIK alone cannot name a future date (the century rule reads 01-12-26 as 1926); a birth
    # date typed on the form can, and is refused before anything else.
    nik = parse_nik("6212010112260001", today=TODAY)
    with pytest.raises(InvalidInput, match="masa depan") as refused:
        check_form_agrees(nik, birth_date=date(2026, 12, 1), sex=Sex.MALE, today=TODAY)
    assert refused.value.field == "birth_date"
