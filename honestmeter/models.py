"""Imports every domain's models so the metadata is complete (migrations, tests, drift checks)."""

from honestmeter.auth.models import User
from honestmeter.commitments.models import Commitment, CommitmentTemplate
from honestmeter.complaints.models import Complaint
from honestmeter.inspections.models import (
    CheckItem,
    Draw,
    EvidencePhoto,
    Finding,
    Inspector,
    InstrumentCheck,
    NetContentSample,
    Plan,
    RectificationOrder,
    Recusal,
    ResultReply,
    Task,
    TaskInspector,
)
from honestmeter.instruments.models import Instrument, InstrumentType, InstrumentVerification
from honestmeter.jobs.models import JobRun
from honestmeter.ledger.models import (
    LedgerAnchor,
    LedgerChain,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
)
from honestmeter.lists.models import ListEntry
from honestmeter.merchants.models import Merchant, MerchantChangeRequest, Region, Sector
from honestmeter.notices.models import Notice
from honestmeter.ratings.models import CreditFact, GradeChange, Penalty, RuleTable
from honestmeter.reminders.models import Reminder
from honestmeter.repairs.models import RepairRequest

__all__ = [
    "CheckItem",
    "Commitment",
    "CommitmentTemplate",
    "Complaint",
    "CreditFact",
    "Draw",
    "EvidencePhoto",
    "Finding",
    "GradeChange",
    "Inspector",
    "Instrument",
    "InstrumentCheck",
    "InstrumentType",
    "InstrumentVerification",
    "JobRun",
    "LedgerAnchor",
    "LedgerChain",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerHead",
    "LedgerNode",
    "ListEntry",
    "Merchant",
    "MerchantChangeRequest",
    "NetContentSample",
    "Notice",
    "Penalty",
    "Plan",
    "RectificationOrder",
    "Recusal",
    "Region",
    "Reminder",
    "RepairRequest",
    "ResultReply",
    "RuleTable",
    "Sector",
    "Task",
    "TaskInspector",
    "User",
]
