"""All repositories of one unit of work (SqlStore); each aggregate's in a module beside this
one: units, people, invitations, chats, ledger, monthly, job_runs, outbox, received, rejected."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from bot.storage.chats import SqlChats, SqlSubscriptions
from bot.storage.held import SqlPendingReports
from bot.storage.invitations import SqlAnnouncements, SqlBoardLinks, SqlInvitations
from bot.storage.job_runs import SqlJobRuns
from bot.storage.ledger import SqlInbox, SqlLedger
from bot.storage.monthly import SqlSubmissions
from bot.storage.outbox import SqlMessageCounts, SqlOutbox
from bot.storage.people import SqlAdmins, SqlContacts, SqlMembers, SqlSenders
from bot.storage.received import SqlPublishedFiles, SqlReceivedUpdates
from bot.storage.rejected import SqlRejectedUpdates
from bot.storage.units import SqlCampaigns, SqlUnits


class SqlStore:
    """All repositories of one unit of work, sharing its connection and transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.units = SqlUnits(connection)
        self.campaigns = SqlCampaigns(connection)
        self.members = SqlMembers(connection)
        self.chats = SqlChats(connection)
        self.admins = SqlAdmins(connection)
        self.invitations = SqlInvitations(connection)
        self.announcements = SqlAnnouncements(connection)
        self.board_links = SqlBoardLinks(connection)
        self.inbox = SqlInbox(connection)
        self.ledger = SqlLedger(connection)
        self.submissions = SqlSubmissions(connection)
        self.subscriptions = SqlSubscriptions(connection)
        self.pending_reports = SqlPendingReports(connection)
        self.received = SqlReceivedUpdates(connection)
        self.job_runs = SqlJobRuns(connection)
        self.outbox = SqlOutbox(connection)
        self.contacts = SqlContacts(connection)
        self.senders = SqlSenders(connection)
        self.message_counts = SqlMessageCounts(connection)
        self.published = SqlPublishedFiles(connection)
        self.rejected = SqlRejectedUpdates(connection)
