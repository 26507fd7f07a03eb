"""Metrology credit grading (计量信用分级, DESIGN §6)."""
