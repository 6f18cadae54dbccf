"""The stock ledger (append-only), the maintained balance, loans between regencies and
requests to the centre (usulan)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siaga_platform.db.base import AppendOnly, Base, new_id, utcnow
from siaga_platform.tenancy.models import TenantScoped

#: One ribbon prints about this many cards. Ribbon is kept in prints left (integers), so a
#: print takes exactly its share; the pages show it in ribbons.
PRINTS_PER_RIBBON = 500

#: The most one office can hold of each item, and so the most any figure typed about it may
#: say (a receipt, a physical count, a request to the centre, a loan): beyond it the figure is
#: a slip of the keyboard and is refused (422), never stored (a count of 10⁹ ribbons had made
#: the balance 5×10¹¹ prints, and 2³¹ failed in PostgreSQL's integer). The largest regencies
#: print a few hundred thousand cards a year; a million blanks is years of their stock.
MAX_BLANK_CARDS = 1_000_000
#: Ribbons, as typed (each ``PRINTS_PER_RIBBON`` prints): 10,000 ribbons print 5,000,000 cards.
MAX_RIBBONS = 10_000


class Item(StrEnum):
    BLANK_CARD = "blank_card"  # controlled: counted one by one
    RIBBON = "ribbon"  # consumable, counted in prints left


class EntryKind(StrEnum):
    RECEIPT = "receipt"  # from the ministry
    CONSUMPTION = "consumption"  # taken by printing an application
    SPOILAGE = "spoilage"
    LOAN_OUT = "loan_out"
    LOAN_IN = "loan_in"
    COUNT = "count"  # stock opname: the difference to the counted figure
    REVERSAL = "reversal"  # the correction of an earlier entry (never an edit)


class SpoilageReason(StrEnum):
    PRINT_ERROR = "print_error"
    LAMINATE_DEFECT = "laminate_defect"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    OTHER = "other"


class Custody(StrEnum):
    HELD = "held"  # secured at the office
    RETURNED = "returned"  # sent back to the ministry


class LedgerEntry(TenantScoped, AppendOnly, Base):
    """One movement. ``quantity`` is signed (+ in, − out); ``balance_after`` is the item's
    balance right after it was recorded (the stock card's running balance)."""

    __tablename__ = "stock_ledger"
    __table_args__ = (
        Index(None, "tenant_id", "item", "business_date"),
        Index(None, "tenant_id", "item", "recorded_at"),
        # An entry is reversed at most once.
        UniqueConstraint("tenant_id", "reverses_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    item: Mapped[Item] = mapped_column(String(12))
    kind: Mapped[EntryKind] = mapped_column(String(12))
    quantity: Mapped[int]
    balance_after: Mapped[int]
    business_date: Mapped[date]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_subject: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str | None] = mapped_column(String(300))
    reference: Mapped[str | None] = mapped_column(String(120))
    serial_from: Mapped[str | None] = mapped_column(String(40))
    serial_to: Mapped[str | None] = mapped_column(String(40))
    application_id: Mapped[uuid.UUID | None]
    spoilage_reason: Mapped[str | None] = mapped_column(String(24))
    custody: Mapped[str | None] = mapped_column(String(10))
    counted: Mapped[int | None]  # physical count: the figure counted; quantity is the variance
    reverses_id: Mapped[uuid.UUID | None]
    loan_id: Mapped[uuid.UUID | None]
    request_id: Mapped[uuid.UUID | None]


class StockBalance(TenantScoped, Base):
    """The current balance per item, kept with every entry. The CHECK is the last guard
    against selling a card twice: concurrent takes cannot push it below zero."""

    __tablename__ = "stock_balances"
    __table_args__ = (CheckConstraint("on_hand >= 0", name="never_negative"),)

    item: Mapped[Item] = mapped_column(String(12), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    #: When the balance last reached zero (None while in stock).
    out_since: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoanStatus(StrEnum):
    REQUESTED = "requested"  # asked by the borrowing regency
    PROPOSED = "proposed"  # proposed by the province supervisor
    APPROVED = "approved"  # both sides' entries written
    REJECTED = "rejected"


class Loan(TenantScoped, Base):
    """A loan of blank cards between two regencies of one province. Each side keeps its own
    copy (same ``id``, its own ``tenant_id``): each regency reads only its own rows, and both
    copies change in the one transaction that approves or rejects."""

    __tablename__ = "stock_loans"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="positive"),
        Index(None, "tenant_id", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    side: Mapped[str] = mapped_column(String(8))  # "lender" or "borrower"
    lender_tenant_id: Mapped[uuid.UUID]
    borrower_tenant_id: Mapped[uuid.UUID]
    quantity: Mapped[int]
    status: Mapped[LoanStatus] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(300))
    asked_by: Mapped[str] = mapped_column(String(255))
    asked_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None]


class RequestStatus(StrEnum):
    DRAFTED = "drafted"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SHIPPED = "shipped"
    RECEIVED = "received"


class CentreRequest(TenantScoped, Base):
    """A request for blank cards to the centre (usulan), through the province."""

    __tablename__ = "stock_requests"
    __table_args__ = (CheckConstraint("quantity_requested > 0", name="positive"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    quantity_requested: Mapped[int]
    quantity_approved: Mapped[int | None]
    quantity_received: Mapped[int] = mapped_column(default=0)
    status: Mapped[RequestStatus] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(300))
    shipment_reference: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own mapping


class StockDay(TenantScoped, Base):
    """Per item and business day: the net movement and what printing and spoilage took, kept
    with every entry. The province rollup reads 30 of these per regency instead of the
    ledger (the same figures, see ``figures.from_days``)."""

    __tablename__ = "stock_days"

    item: Mapped[Item] = mapped_column(String(12), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    net: Mapped[int] = mapped_column(default=0)
    consumed: Mapped[int] = mapped_column(default=0)
    spoiled: Mapped[int] = mapped_column(default=0)
