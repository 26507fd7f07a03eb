"""Reminders to merchants: instruments due for verification, commitments due for renewal."""
