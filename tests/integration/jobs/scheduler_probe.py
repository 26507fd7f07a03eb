"""A `honestmeter scheduler` process with two probe jobs added (run by test_scheduler_leadership).

probe.interval runs every second; probe.cron on every even second, so each two-second slot must show
exactly one run across all scheduler processes.
"""

from __future__ import annotations

import time

from flask import Flask
from flask.cli import ScriptInfo

from honestmeter.jobs import registry


def work() -> None:
    time.sleep(0.1)  # long enough that two processes running it at once would overlap


def app_with_probes() -> Flask:
    from honestmeter.app import create_app

    app = create_app()
    here = f"{__name__}:work"
    registry.register(registry.JobSpec("probe.interval", here, "interval", {"seconds": 1}, run_at_start=True), app)
    registry.register(registry.JobSpec("probe.cron", here, "cron", {"second": "*/2"}), app)
    return app


def main() -> None:
    from honestmeter.__main__ import main as cli

    cli(["scheduler"], obj=ScriptInfo(create_app=app_with_probes))


if __name__ == "__main__":
    main()
