"""honestmeter — 诚信计量信用监管平台.

Imports nothing, so that importing a pure core (``honestmeter.ledger.merkle``) loads no Flask: the app factory is
``honestmeter.app.create_app``.
"""
