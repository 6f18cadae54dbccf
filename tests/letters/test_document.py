"""The letter's PDF, read back with a PDF library: its text holds the number, the name and
the dates; its QR code (decoded with zbar) is the verification URL; a reprint is identical."""

from __future__ import annotations

from datetime import date

import pypdfium2
from pyzbar.pyzbar import decode

from siaga_platform.letters.document import (
    LetterContent,
    OfficeHeader,
    content_hash,
    long_date,
    render_pdf,
    verification_url,
)
from siaga_platform.letters.models import LetterReason

CONTENT = LetterContent(
    number="470/0042/DISDUKCAPIL/2026",
    nik="6212015708950001",
    name="Siti Aminah",
    birth_place="Puruk Cahu",
    birth_date=date(1995, 8, 17),
    sex="P",
    desa="Beriwit",
    kecamatan="Murung",
    status_code="PRR",
    reason=LetterReason.NO_BLANK_CARDS,
    issued_on=date(2026, 11, 20),
    valid_until=date(2027, 5, 20),
    signer_name="Drs. Yohanes Tambunan, M.Si.",
    signer_title="Kepala Dinas Kependudukan dan Pencatatan Sipil",
    token="q8J3v0rT2mXc5bYw9LkP1sAa",
)
OFFICE = OfficeHeader(regency_name="Kabupaten Murung Raya", seat="Murung Raya")
URL = verification_url("https://siaga.example.go.id/", "62.12", CONTENT.token)


def _read(pdf: bytes) -> tuple[str, list[str]]:
    document = pypdfium2.PdfDocument(pdf)
    page = document[0]
    text = page.get_textpage().get_text_range()
    image = page.render(scale=3).to_pil()
    codes = [found.data.decode() for found in decode(image)]
    document.close()
    return text, codes


def test_the_pdf_reads_back_with_number_name_dates_and_a_qr_to_the_verification_url() -> None:
    pdf = render_pdf(CONTENT, OFFICE, URL, "Siap cetak (PRR)")
    assert pdf.startswith(b"%PDF")
    text, codes = _read(pdf)
    flat = " ".join(text.split())
    for expected in (
        "470/0042/DISDUKCAPIL/2026",
        "Siti Aminah",
        "6212015708950001",
        long_date(CONTENT.issued_on),
        long_date(CONTENT.valid_until),
        "PEMERINTAH KABUPATEN MURUNG RAYA",
        "Drs. Yohanes Tambunan, M.Si.",
        "PRR",
        content_hash(CONTENT),
    ):
        assert expected in flat, expected
    assert codes == ["https://siaga.example.go.id/verifikasi/62.12/q8J3v0rT2mXc5bYw9LkP1sAa"]
    assert "6212015708950001" not in codes[0]


def test_a_reprint_is_byte_for_byte_the_same_and_any_change_changes_the_hash() -> None:
    assert render_pdf(CONTENT, OFFICE, URL, "PRR") == render_pdf(CONTENT, OFFICE, URL, "PRR")
    from dataclasses import replace

    later = replace(CONTENT, valid_until=date(2027, 11, 20))
    assert content_hash(later) != content_hash(CONTENT)
    assert len(content_hash(CONTENT)) == 14 and content_hash(CONTENT).count("-") == 2
