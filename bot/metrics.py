"""Prometheus metrics of a running bot, served at `GET /metrics` on the bot's web server.

Counters are kept in process by the channels and the outbox as things happen; the gauges
that live in the database (outbox backlog, messages sent this month per platform) are read
when /metrics is asked.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()

UPDATES_RECEIVED = Counter(
    "quizbot_updates_received",
    "Updates stored in the durable inbox (repeats not counted)",
    ["platform"],
    registry=REGISTRY,
)
UPDATES_REJECTED = Counter(
    "quizbot_updates_rejected",
    "Webhook deliveries that were no update (answered 200, recorded, not handled)",
    ["platform", "reason"],
    registry=REGISTRY,
)
WORKER_INFO = Gauge(
    "quizbot_worker_info",
    "This worker: its id as /healthz shows it, its host and process id",
    ["worker", "host", "pid"],
    registry=REGISTRY,
)
LEADER_INFO = Gauge(
    "quizbot_leader_info",
    "The worker holding the leader's lease (PostgreSQL), valued by its fencing token",
    ["worker", "holder"],
    registry=REGISTRY,
)
UPDATES_HANDLED = Counter(
    "quizbot_updates_handled", "Updates handled, answers sent", ["platform"], registry=REGISTRY
)
REPLY_SECONDS = Histogram(
    "quizbot_reply_seconds",
    "From the start of handling an update to its answers sent",
    ["platform"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
SENDS = Counter(
    "quizbot_outbox_sends",
    "Outbox sends by platform and result (sent, gone, unknown, failed, postponed, rate_limited)",
    ["platform", "result"],
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge("quizbot_outbox_backlog", "Sends queued and not yet out", registry=REGISTRY)
MESSAGES_THIS_MONTH = Gauge(
    "quizbot_messages_sent_this_month",
    "Messages sent this month on a platform with a budget",
    ["platform"],
    registry=REGISTRY,
)
MESSAGE_BUDGET = Gauge(
    "quizbot_message_budget", "A platform's monthly message budget", ["platform"], registry=REGISTRY
)
LEASE_CHANGES = Counter(
    "quizbot_lease_changes",
    "Times this worker became or stopped being the leader (scheduler and outbox)",
    ["change"],
    registry=REGISTRY,
)
IS_LEADER = Gauge(
    "quizbot_is_leader", "1 while this worker holds the leader's lease", registry=REGISTRY
)


def exposition() -> bytes:
    return generate_latest(REGISTRY)
