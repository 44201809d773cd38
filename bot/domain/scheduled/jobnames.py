"""The names of the scheduled jobs, spelled once (settings, the job table, budgets, the
digest's corrections and the job ledger all use these)."""

from __future__ import annotations

from enum import StrEnum


class JobName(StrEnum):
    WEEKLY_REMINDER = "weekly-reminder"
    WEEKLY_DIGEST = "weekly-digest"
    MONTHLY_NUDGE = "monthly-nudge"
    MONTHLY_DIGEST = "monthly-digest"
