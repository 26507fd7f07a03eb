"""Credit lists: entries proposed by findings or decided by regulators, each one a ledger record."""
