"""A `honestmeter scheduler` process with two probe jobs added (run by test_scheduler_leadership).

probe.interval runs every second; probe.cron on every even second, so each two-second slot must show
exactly one run across all scheduler processes.
"""

from __future__ import annotations

import time

from honestmeter.jobs import registry


def work() -> None:
    time.sleep(0.1)  # long enough that two processes running it at once would overlap


def main() -> None:
    here = f"{__name__}:work"
    registry.register(registry.JobSpec("probe.interval", here, "interval", {"seconds": 1}, run_at_start=True))
    registry.register(registry.JobSpec("probe.cron", here, "cron", {"second": "*/2"}))
    from honestmeter.cli import main as cli

    cli(["scheduler"])


if __name__ == "__main__":
    main()
