"""honestmeter — 诚信计量信用监管平台."""

from honestmeter.app import create_app

__all__ = ["create_app"]
