"""The pipeline of an e-KTP application: the one place that says which move is allowed.

registered → recorded (BC) → sent (SFE) → received centrally → {PRR, duplicate record,
adjudication, enrollment failure} → print queued → printed (CP) → ready for pickup → issued.
Enrollment failure goes back to recording; adjudication ends in PRR, duplicate or failure;
cancelled from any open state, with a reason.
"""

from __future__ import annotations

from enum import StrEnum

from siaga_platform.text import N_


class Status(StrEnum):
    REGISTERED = "registered"
    RECORDED = "recorded"
    SENT = "sent"
    RECEIVED = "received"
    PRR = "prr"
    DUPLICATE = "duplicate"
    ADJUDICATION = "adjudication"
    ENROLLMENT_FAILED = "enrollment_failed"
    PRINT_QUEUED = "print_queued"
    PRINTED = "printed"
    READY = "ready"
    ISSUED = "issued"
    CANCELLED = "cancelled"


#: The KTP-el status codes clerks and letters use (SIAK).
STATUS_CODES: dict[Status, str] = {
    Status.REGISTERED: "REG",
    Status.RECORDED: "BC",
    Status.SENT: "SFE",
    Status.RECEIVED: "RCV",
    Status.PRR: "PRR",
    Status.DUPLICATE: "DUP",
    Status.ADJUDICATION: "ADJ",
    Status.ENROLLMENT_FAILED: "EF",
    Status.PRINT_QUEUED: "SFCP",
    Status.PRINTED: "CP",
    Status.READY: "RDY",
    Status.ISSUED: "ISS",
    Status.CANCELLED: "CAN",
}

LABELS_ID: dict[Status, str] = {
    Status.REGISTERED: N_("Terdaftar"),
    Status.RECORDED: N_("Sudah rekam (BC)"),
    Status.SENT: N_("Dikirim ke pusat (SFE)"),
    Status.RECEIVED: N_("Diterima pusat"),
    Status.PRR: N_("Siap cetak (PRR)"),
    Status.DUPLICATE: N_("Data ganda"),
    Status.ADJUDICATION: N_("Adjudikasi"),
    Status.ENROLLMENT_FAILED: N_("Gagal enrol (rekam ulang)"),
    Status.PRINT_QUEUED: N_("Antre cetak"),
    Status.PRINTED: N_("Tercetak (CP)"),
    Status.READY: N_("Siap diambil"),
    Status.ISSUED: N_("Diserahkan"),
    Status.CANCELLED: N_("Dibatalkan"),
}

CLOSED = frozenset({Status.ISSUED, Status.CANCELLED})
#: Records the centre has cleared for printing and the office still owes a card (and a print
#: of ribbon): the stock's cover counts them as already spoken for.
WAITING_PRINT = (Status.PRR, Status.PRINT_QUEUED)
OPEN = frozenset(Status) - CLOSED

MOVES: dict[Status, frozenset[Status]] = {
    Status.REGISTERED: frozenset({Status.RECORDED}),
    Status.RECORDED: frozenset({Status.SENT}),
    Status.SENT: frozenset({Status.RECEIVED}),
    Status.RECEIVED: frozenset(
        {Status.PRR, Status.DUPLICATE, Status.ADJUDICATION, Status.ENROLLMENT_FAILED}
    ),
    Status.ADJUDICATION: frozenset({Status.PRR, Status.DUPLICATE, Status.ENROLLMENT_FAILED}),
    Status.ENROLLMENT_FAILED: frozenset({Status.RECORDED}),
    Status.DUPLICATE: frozenset(),
    Status.PRR: frozenset({Status.PRINT_QUEUED}),
    Status.PRINT_QUEUED: frozenset({Status.PRINTED}),
    Status.PRINTED: frozenset({Status.READY}),
    Status.READY: frozenset({Status.ISSUED}),
    Status.ISSUED: frozenset(),
    Status.CANCELLED: frozenset(),
}

#: Recorded at least once (BC or later): what a substitute letter requires.
RECORDED_OR_LATER = frozenset(Status) - {Status.REGISTERED, Status.CANCELLED}


def allowed_moves(current: Status) -> list[Status]:
    """Where an application may go from ``current`` (cancel included while it is open)."""
    moves = sorted(MOVES[current], key=list(Status).index)
    if current in OPEN:
        moves.append(Status.CANCELLED)
    return moves


def can_move(current: Status, target: Status) -> bool:
    return target in allowed_moves(current)
