"""The Zalo Bot Platform channel: a small httpx client, update translation, polling and
webhook receiving through the durable inbox, and a notifier with Zalo's limits."""
