"""Several workers on one database: the leader's lease and its fencing token, each chat's
turn, the send slots every worker books, and starting N worker processes.

The SQL behind these ports lives in bot.storage.coordination and is built by the store
(`store.leases`, `store.chat_turns`, `store.send_slots`), never by hand here."""
