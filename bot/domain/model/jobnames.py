"""The names of the scheduled jobs, spelled once (settings, the job table, budgets, the
digest's corrections and the job ledger all use these)."""

from __future__ import annotations

from enum import StrEnum


class JobName(StrEnum):
    WEEKLY_REMINDER = "weekly-reminder"
    WEEKLY_DIGEST = "weekly-digest"
    MONTHLY_NUDGE = "monthly-nudge"
    MONTHLY_DIGEST = "monthly-digest"


# Runs kept in the job ledger that no schedule starts: an admin's announcement (its period
# is the announcement's id) and an ended campaign's final summary (the campaign's id).
ANNOUNCEMENT_RUN = "announcement"
CAMPAIGN_SUMMARY_RUN = "campaign-summary"
