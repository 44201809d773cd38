"""The scheduled messages: reminders, digests, the job table, message budgets."""
