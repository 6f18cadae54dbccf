"""The letter as an A4 PDF (ReportLab), its content hash and its verification URL.

The same content always gives the same bytes: the canvas is ``invariant`` (no creation time or
random document id), so a reprint can be compared with the first print byte for byte.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import astuple, dataclass
from datetime import date

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from siaga_platform.letters.models import LetterReason

MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]
REASON_TEXT = {
    LetterReason.NO_BLANK_CARDS: "blanko KTP-el sedang kosong",
    LetterReason.PRINTER_DOWN: "printer kartu sedang rusak",
    LetterReason.DATA_CENTRE_DOWN: "pusat data Ditjen Dukcapil sedang terganggu",
    LetterReason.WAITING_PRR: "data perekaman masih menunggu status siap cetak (PRR)",
    LetterReason.OTHER: "kartu belum dapat dicetak",
}
SEX_TEXT = {"L": "Laki-laki", "P": "Perempuan"}


def long_date(day: date) -> str:
    """``17 Agustus 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def verification_url(base_url: str, regency_code: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/verifikasi/{regency_code}/{token}"


@dataclass(frozen=True, slots=True)
class LetterContent:
    """Everything printed on the letter that identifies it (the hash covers exactly this)."""

    number: str
    nik: str
    name: str
    birth_place: str
    birth_date: date
    sex: str
    desa: str
    kecamatan: str
    status_code: str
    reason: LetterReason
    issued_on: date
    valid_until: date
    signer_name: str
    signer_title: str
    token: str


def content_hash(content: LetterContent) -> str:
    """12 hex digits in three groups (``3F9A-0C1D-77B2``): short enough to read off paper."""
    canonical = "\n".join(str(part) for part in astuple(content))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:12].upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:]}"


@dataclass(frozen=True, slots=True)
class OfficeHeader:
    regency_name: str  # "Kabupaten Murung Raya"
    seat: str  # the town under the signature ("Murung Raya")


def render_pdf(content: LetterContent, office: OfficeHeader, url: str, status_label: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"Surat Keterangan {content.number}")
    canvas.setAuthor(office.regency_name)
    width, height = A4
    centre = width / 2

    y = height - 22 * mm
    canvas.setFont("Helvetica-Bold", 13)
    canvas.drawCentredString(centre, y, f"PEMERINTAH {office.regency_name.upper()}")
    y -= 6 * mm
    canvas.drawCentredString(centre, y, "DINAS KEPENDUDUKAN DAN PENCATATAN SIPIL")
    y -= 4 * mm
    canvas.setLineWidth(1.2)
    canvas.line(20 * mm, y, width - 20 * mm, y)

    y -= 14 * mm
    canvas.setFont("Helvetica-Bold", 12)
    canvas.drawCentredString(centre, y, "SURAT KETERANGAN PENGGANTI KTP-el")
    y -= 6 * mm
    canvas.setFont("Helvetica", 11)
    canvas.drawCentredString(centre, y, f"Nomor: {content.number}")

    y -= 14 * mm
    left = 25 * mm
    canvas.drawString(left, y, "Yang bertanda tangan di bawah ini menerangkan bahwa:")
    rows = [
        ("NIK", content.nik),
        ("Nama", content.name),
        ("Tempat/Tgl. Lahir", f"{content.birth_place}, {long_date(content.birth_date)}"),
        ("Jenis Kelamin", SEX_TEXT.get(content.sex, content.sex)),
        ("Alamat", f"Desa/Kel. {content.desa}, Kec. {content.kecamatan}"),
        ("Status KTP-el", f"{content.status_code} ({status_label})"),
    ]
    y -= 4 * mm
    for label, value in rows:
        y -= 7 * mm
        canvas.drawString(left + 5 * mm, y, label)
        canvas.drawString(left + 45 * mm, y, f":  {value}")

    y -= 12 * mm
    text = canvas.beginText(left, y)
    text.setFont("Helvetica", 11)
    text.setLeading(15)
    for line in (
        "telah melakukan perekaman KTP-el. Kartunya belum dapat dicetak karena",
        f"{REASON_TEXT[content.reason]}. Surat keterangan ini berlaku sebagai pengganti",
        f"KTP-el sejak {long_date(content.issued_on)} sampai dengan "
        f"{long_date(content.valid_until)}.",
    ):
        text.textLine(line)
    canvas.drawText(text)

    y -= 34 * mm
    sign_x = width - 90 * mm
    canvas.drawString(sign_x, y, f"{office.seat}, {long_date(content.issued_on)}")
    y -= 6 * mm
    canvas.setFont("Helvetica", 10)
    canvas.drawString(sign_x, y, content.signer_title[:60])
    y -= 24 * mm
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(sign_x, y, content.signer_name)

    qr_size = 38 * mm
    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(
        qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, left - 3 * mm, 40 * mm)
    canvas.setFont("Helvetica", 8)
    canvas.drawString(left, 38 * mm, "Pindai kode QR untuk memeriksa keaslian surat ini.")

    canvas.setFont("Helvetica", 8)
    canvas.drawString(left, 18 * mm, f"Kode dokumen: {content_hash(content)}")
    canvas.drawString(left, 14 * mm, f"Periksa: {url}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
