"""Every periodic job in one place: its stable id, its trigger, and the domain function it runs.

Domains expose plain functions and never import `honestmeter.jobs`; the scheduler imports a job's function
("module:function") only when it runs it. Ids are stored in `job_runs`: renaming one orphans its history.
"""

from __future__ import annotations

from honestmeter.jobs.queries import HEARTBEAT_JOB
from honestmeter.jobs.registry import JobSpec
from honestmeter.settings import Settings


def periodic_jobs(config: Settings) -> list[JobSpec]:
    """The jobs of an app with these settings (some intervals are settings)."""
    return [
        JobSpec(
            id=HEARTBEAT_JOB,
            func="honestmeter.jobs.scheduler:heartbeat",
            trigger="interval",
            trigger_args={"seconds": config.SCHEDULER_HEARTBEAT_SECONDS},
            description="调度器心跳",
            run_at_start=True,
        ),
        JobSpec(
            id="ledger.anchor_pending",
            func="honestmeter.ledger.anchoring:anchor_pending",
            trigger="interval",
            trigger_args={"seconds": config.LEDGER_ANCHOR_SECONDS},
            description="锚定新的签名树头",
            run_at_start=True,
        ),
        JobSpec(
            id="commitments.expire",
            func="honestmeter.commitments.services:expire_commitments",
            trigger="cron",
            trigger_args={"hour": 0, "minute": 5},
            description="承诺书到期处理",
            run_at_start=True,
        ),
        JobSpec(
            id="inspections.draws",
            func="honestmeter.inspections.draws.services:draw_job",
            trigger="interval",
            trigger_args={"seconds": 60},
            description="按计划公告摇号，锚定后揭晓结果",
            run_at_start=True,
        ),
        JobSpec(
            id="inspections.publication_deadlines",
            func="honestmeter.inspections.results.publication:deadline_job",
            trigger="cron",
            trigger_args={"hour": 8, "minute": 0},
            description="检查结果公示期限预警",
            run_at_start=True,
        ),
        JobSpec(
            id="lists.expire",
            func="honestmeter.lists.jobs:expire_job",
            trigger="cron",
            trigger_args={"hour": 0, "minute": 5},
            description="示范单位称号到期失效，严重违法失信名单期满移出",
            run_at_start=True,
        ),
        JobSpec(
            id="ratings.recompute",
            func="honestmeter.ratings.grades.recompute:nightly",
            trigger="cron",
            # After commitments.expire (00:05), so a commitment that ran out yesterday no longer counts.
            trigger_args={"hour": 1, "minute": 30},
            description="计量信用等级每日重算",
            run_at_start=True,
        ),
        JobSpec(
            id="ratings.rules_watch",
            func="honestmeter.ratings.grades.recompute:rules_watch",
            trigger="interval",
            trigger_args={"minutes": 1},
            description="新版评级规则发布后重算全部等级",
        ),
        JobSpec(
            id="reminders.daily",
            func="honestmeter.reminders.services:run_daily",
            trigger="cron",
            trigger_args={"hour": 7, "minute": 30},
            description="到期提醒（计量器具检定、承诺书续签）",
            run_at_start=True,
        ),
    ]
