"""The one way in for every update, whatever its platform and however it came (Telegram
polling or webhook, Zalo polling or webhook).

`pipeline.Inbox`: the update is stored before the platform is told it arrived (repeats are
dropped by their key), handed to a sequencer that keeps each chat's order and handles one
update of a chat at a time, and dispatched to the platform's handlers; the use case's own
transaction marks it handled and keeps its reply (`handling`). Two sequencers: `local` (one
process, SQLite) and `turns` (chats' turns in the database, several workers on PostgreSQL).
A platform supplies only how to read an update's key and chat, how to decode a stored one,
how to dispatch it and how to send replies a crash left unsent (`pipeline.Platform`).
"""
