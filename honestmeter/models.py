"""Imports every domain's models so the metadata is complete (migrations, tests, drift checks)."""

from honestmeter.auth.models import User
from honestmeter.commitments.models import Commitment, CommitmentTemplate
from honestmeter.inspections.models import Inspector
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
from honestmeter.merchants.models import Merchant, MerchantChangeRequest, Region, Sector
from honestmeter.notices.models import Notice
from honestmeter.reminders.models import Reminder

__all__ = [
    "Commitment",
    "CommitmentTemplate",
    "Inspector",
    "Instrument",
    "InstrumentType",
    "InstrumentVerification",
    "JobRun",
    "LedgerAnchor",
    "LedgerChain",
    "LedgerCheckpoint",
    "LedgerEntry",
    "LedgerHead",
    "LedgerNode",
    "Merchant",
    "MerchantChangeRequest",
    "Notice",
    "Region",
    "Reminder",
    "Sector",
    "User",
]
