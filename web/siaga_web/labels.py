"""Every label a page shows for a stored value (statuses, kinds, reasons, causes), in one
place: the routes and templates read them from here, so a value is worded once and the catalog
(``make messages``) finds every word in one file. Marked with ``N_``; translated when shown."""

from __future__ import annotations

from siaga_platform.alerts import thresholds
from siaga_platform.alerts.models import RULE_TITLES, EventKind
from siaga_platform.alerts.models import Level as AlertLevel
from siaga_platform.applications.models import ImportStatus, Priority, Reason
from siaga_platform.auth.principal import Role
from siaga_platform.hardware.models import BeatStatus, IncidentCause, SiteKind
from siaga_platform.letters.models import LetterReason, LetterState
from siaga_platform.rollup.severity import Level
from siaga_platform.stock.models import (
    Custody,
    EntryKind,
    Item,
    LoanStatus,
    RequestStatus,
    SpoilageReason,
)
from siaga_platform.text import N_

# Alerts

#: Icon, word and css class of each level, like the rest of the UI (never colour alone).
ALERT_LEVELS = {
    AlertLevel.GAWAT: ("✖", N_("Gawat"), "bad"),
    AlertLevel.PERHATIKAN: ("▲", N_("Perhatikan"), "warn"),
}
ALERT_RULE_LABELS = RULE_TITLES
ALERT_EVENT_LABELS = {
    EventKind.OPENED: N_("Dibuka"),
    EventKind.LEVEL_CHANGED: N_("Tingkat berubah"),
    EventKind.REMINDED: N_("Pengingat dikirim"),
    EventKind.ESCALATED: N_("Dieskalasi"),
    EventKind.ACKNOWLEDGED: N_("Ditanggapi"),
    EventKind.SILENCED: N_("Disenyapkan"),
    EventKind.RESOLVED: N_("Pulih"),
}
ALERT_STEP_LABELS = {
    0: N_("petugas kabupaten/kota"),
    1: N_("supervisor provinsi"),
    2: N_("admin platform (nasional)"),
}
ALERT_SOURCE_LABELS = {
    thresholds.REGENCY: N_("kabupaten/kota"),
    thresholds.PROVINCE: N_("bawaan provinsi"),
    thresholds.REGENCY_SETTINGS: N_("pengaturan kabupaten/kota"),
    thresholds.BUILT_IN: N_("bawaan Siaga"),
}

# Applications

APPLICATION_REASON_LABELS = {
    Reason.FIRST_CARD: N_("Pemula (17 tahun)"),
    Reason.DAMAGED: N_("Rusak"),
    Reason.LOST: N_("Hilang"),
    Reason.DATA_CHANGE: N_("Perubahan data"),
    Reason.MOVING_IN: N_("Pindah datang"),
    Reason.UNSPECIFIED: N_("Tidak dicatat (impor)"),
}
PRIORITY_LABELS = {
    Priority.FIRST_TIME: N_("Pemula"),
    Priority.DISASTER: N_("Korban bencana"),
    Priority.LETTER_HOLDER_PRR: N_("Pemegang surat keterangan, sudah PRR"),
    Priority.LOST_DAMAGED: N_("Hilang/rusak"),
    Priority.DATA_CHANGE: N_("Perubahan data"),
    Priority.OTHER: N_("Lainnya"),
}
IMPORT_STATUS_LABELS = {
    ImportStatus.QUEUED: N_("Menunggu giliran"),
    ImportStatus.RUNNING: N_("Sedang diproses"),
    ImportStatus.DONE: N_("Selesai diimpor"),
    ImportStatus.FAILED: N_("Gagal"),
}

# Recording hardware

DEVICE_STATE_LABELS = {
    "up": N_("Hidup"),
    "degraded": N_("Terganggu"),
    "down": N_("Mati"),
    "unknown": N_("Belum ada kabar"),
    "unreachable": N_("Tak terjangkau (router mati)"),
}
SITE_KIND_LABELS = {
    SiteKind.OFFICE: N_("Kantor Disdukcapil"),
    SiteKind.KECAMATAN: N_("Tempat pelayanan kecamatan"),
    SiteKind.MOBILE: N_("Unit keliling"),
}
#: A heartbeat's own status, as the device reported it (models.BeatStatus).
BEAT_LABELS = {
    BeatStatus.OK: N_("Baik"),
    BeatStatus.DEGRADED: N_("Terganggu"),
    BeatStatus.FAULT: N_("Rusak"),
}
#: The incident timeline's event kinds (incidents.add_event).
INCIDENT_EVENT_LABELS = {
    "opened": N_("Dibuka"),
    "note": N_("Catatan"),
    "escalated": N_("Dilaporkan ke kementerian"),
    "acknowledged": N_("Ditanggapi provinsi"),
    "closed": N_("Ditutup"),
}
DEVICE_STATE_ICONS = {"up": "●", "degraded": "▲", "down": "✖", "unknown": "○", "unreachable": "◌"}
CAUSE_LABELS = {
    IncidentCause.LIGHTNING: N_("Petir"),
    IncidentCause.POWER: N_("Listrik"),
    IncidentCause.NETWORK: N_("Jaringan"),
    IncidentCause.HARDWARE_FAULT: N_("Kerusakan alat"),
    IncidentCause.THEFT: N_("Pencurian"),
    IncidentCause.CENTRAL_DATA_CENTRE: N_("Pusat data (pusat) mati"),
    IncidentCause.CONSUMABLE: N_("Bahan habis (mis. pita printer)"),
    IncidentCause.OTHER: N_("Lainnya"),
    IncidentCause.UNKNOWN: N_("Belum diketahui"),
}

# Substitute letters (Suket)

LETTER_REASON_LABELS = {
    LetterReason.NO_BLANK_CARDS: N_("Blanko habis"),
    LetterReason.PRINTER_DOWN: N_("Printer rusak"),
    LetterReason.DATA_CENTRE_DOWN: N_("Pusat data terganggu"),
    LetterReason.WAITING_PRR: N_("Menunggu PRR"),
    LetterReason.OTHER: N_("Lainnya"),
}
LETTER_STATE_LABELS = {
    LetterState.ACTIVE: N_("Berlaku"),
    LetterState.EXPIRED: N_("Kedaluwarsa"),
    LetterState.REVOKED: N_("Dicabut"),
    "converted": N_("Diganti KTP-el"),
    "expiring": N_("Habis dalam 30 hari"),
}
LETTER_EVENT_LABELS = {
    "issued": N_("Diterbitkan"),
    "renewed": N_("Diperpanjang"),
    "revoked": N_("Dicabut"),
    "converted": N_("Diganti KTP-el"),
}

# Notifications

NOTIFICATION_KIND_LABELS = {
    "opened": N_("Baru"),
    "reminded": N_("Pengingat"),
    "escalated": N_("Eskalasi"),
    "resolved": N_("Pulih"),
}
DELIVERY_STATUS_LABELS = {"queued": N_("Antre"), "sent": N_("Terkirim"), "failed": N_("Gagal")}
CHANNEL_LABELS = {"email": N_("E-mail"), "webhook": N_("Webhook"), "telegram": N_("Telegram")}

# Province and national pages

LEVEL_WORDS = {
    Level.BAD: ("✖", N_("Gawat")),
    Level.WARN: ("▲", N_("Perhatikan")),
    Level.OK: ("●", N_("Baik")),
    Level.NONE: ("○", N_("Tidak ada data")),
}
STAGE_LABELS = {
    "registered": N_("Terdaftar (belum rekam)"),
    "processing": N_("Diproses pusat"),
    "waiting_print": N_("Menunggu cetak (PRR)"),
    "waiting_pickup": N_("Menunggu diambil"),
}

# Sign-in

#: The roles as people read them, widest first (the order of the demo sign-in).
ROLE_LABELS = {
    Role.ADMIN_PLATFORM: N_("Admin platform"),
    Role.SUPERVISOR_PROVINSI: N_("Supervisor provinsi"),
    Role.KEPALA_DINAS: N_("Kepala dinas"),
    Role.OPERATOR: N_("Operator"),
}

# Blank-card stock

LEDGER_KIND_LABELS = {
    EntryKind.RECEIPT: N_("Penerimaan"),
    EntryKind.CONSUMPTION: N_("Pemakaian cetak"),
    EntryKind.SPOILAGE: N_("Rusak"),
    EntryKind.LOAN_OUT: N_("Dipinjamkan"),
    EntryKind.LOAN_IN: N_("Pinjaman masuk"),
    EntryKind.COUNT: N_("Stok opname (selisih)"),
    EntryKind.REVERSAL: N_("Koreksi (pembalikan)"),
}
SPOILAGE_LABELS = {
    SpoilageReason.PRINT_ERROR: N_("Salah cetak"),
    SpoilageReason.LAMINATE_DEFECT: N_("Laminasi cacat"),
    SpoilageReason.DAMAGED_IN_TRANSIT: N_("Rusak dalam pengiriman"),
    SpoilageReason.OTHER: N_("Lainnya"),
}
ITEM_LABELS = {Item.BLANK_CARD: N_("Blanko KTP-el"), Item.RIBBON: N_("Ribbon printer (cetakan)")}
REQUEST_LABELS = {
    RequestStatus.DRAFTED: N_("Draf"),
    RequestStatus.SUBMITTED: N_("Diajukan"),
    RequestStatus.APPROVED: N_("Disetujui"),
    RequestStatus.SHIPPED: N_("Dikirim"),
    RequestStatus.RECEIVED: N_("Diterima"),
}
CUSTODY_LABELS = {
    Custody.HELD: N_("disimpan di kantor"),
    Custody.RETURNED: N_("dikembalikan ke pusat"),
}
LOAN_STATUS_LABELS = {
    LoanStatus.REQUESTED: N_("diminta wilayah"),
    LoanStatus.PROPOSED: N_("diusulkan provinsi"),
    LoanStatus.APPROVED: N_("disetujui"),
    LoanStatus.REJECTED: N_("ditolak"),
}
