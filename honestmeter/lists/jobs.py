"""The lists' daily job: expire 示范单位 titles and remove 严重违法失信名单 listings at the end of their term."""

from __future__ import annotations

import logging

from honestmeter.lists import services

log = logging.getLogger(__name__)


def expire_job() -> int:
    """Run `services.expire_due` for today (idempotent); returns how many entries it removed."""
    done = services.expire_due()
    if done:
        log.info("lists.expire: removed %d entries: %s", len(done), ", ".join(str(e.id) for e in done))
    return len(done)
