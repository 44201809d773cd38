"""All repositories of one unit of work (SqlStore); each aggregate's in a module beside this
one: units, people, invitations, chats, ledger, monthly, job_runs, outbox, received, rejected."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from bot.cluster.ports import ClusterStore, LeaseFence
from bot.domain.ports import Store
from bot.storage.chats import SqlChats, SqlSubscriptions
from bot.storage.coordination import SqlChatTurns, SqlLeases, SqlSendSlots
from bot.storage.fencing import Fencing
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

    # Built on first use: a report's transaction touches a handful of the repositories,
    # and building all of them for each unit of work was measurable per message.
    def __init__(self, connection: Connection, fence: LeaseFence | None = None) -> None:
        self.connection = connection
        # A leader's unit of work: every write is fenced by its lease (bot.storage.fencing).
        self.fencing = Fencing(connection, fence) if fence is not None else None

    @cached_property
    def units(self) -> SqlUnits:
        return SqlUnits(self.connection)

    @cached_property
    def campaigns(self) -> SqlCampaigns:
        return SqlCampaigns(self.connection)

    @cached_property
    def members(self) -> SqlMembers:
        return SqlMembers(self.connection)

    @cached_property
    def chats(self) -> SqlChats:
        return SqlChats(self.connection)

    @cached_property
    def admins(self) -> SqlAdmins:
        return SqlAdmins(self.connection)

    @cached_property
    def invitations(self) -> SqlInvitations:
        return SqlInvitations(self.connection)

    @cached_property
    def announcements(self) -> SqlAnnouncements:
        return SqlAnnouncements(self.connection)

    @cached_property
    def board_links(self) -> SqlBoardLinks:
        return SqlBoardLinks(self.connection)

    @cached_property
    def inbox(self) -> SqlInbox:
        return SqlInbox(self.connection)

    @cached_property
    def ledger(self) -> SqlLedger:
        return SqlLedger(self.connection)

    @cached_property
    def submissions(self) -> SqlSubmissions:
        return SqlSubmissions(self.connection)

    @cached_property
    def subscriptions(self) -> SqlSubscriptions:
        return SqlSubscriptions(self.connection)

    @cached_property
    def pending_reports(self) -> SqlPendingReports:
        return SqlPendingReports(self.connection)

    @cached_property
    def received(self) -> SqlReceivedUpdates:
        return SqlReceivedUpdates(self.connection)

    @cached_property
    def job_runs(self) -> SqlJobRuns:
        return SqlJobRuns(self.connection)

    @cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.connection, self.fencing)

    @cached_property
    def contacts(self) -> SqlContacts:
        return SqlContacts(self.connection)

    @cached_property
    def senders(self) -> SqlSenders:
        return SqlSenders(self.connection)

    @cached_property
    def message_counts(self) -> SqlMessageCounts:
        return SqlMessageCounts(self.connection)

    @cached_property
    def published(self) -> SqlPublishedFiles:
        return SqlPublishedFiles(self.connection)

    @cached_property
    def rejected(self) -> SqlRejectedUpdates:
        return SqlRejectedUpdates(self.connection)

    @cached_property
    def leases(self) -> SqlLeases:
        return SqlLeases(self.connection)

    @cached_property
    def chat_turns(self) -> SqlChatTurns:
        return SqlChatTurns(self.connection)

    @cached_property
    def send_slots(self) -> SqlSendSlots:
        return SqlSendSlots(self.connection)


if TYPE_CHECKING:
    # The type checker holds the SQL store to every port it is used through.
    def _implements_the_ports(store: SqlStore) -> tuple[Store, ClusterStore]:
        return store, store
