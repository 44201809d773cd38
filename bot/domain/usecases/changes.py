"""One change to a unit's week (a report, an edit, an undo): the unit's lock, the re-fold of
its entries, and who else must hear of it when an admin made it."""

from __future__ import annotations

from datetime import datetime

from bot.domain import wording
from bot.domain.model.entities import ReportEntry, ReportMode, Unit, UnitWeekTotal
from bot.domain.model.jobnames import JobName
from bot.domain.model.ledger import changed_effects, effect_of, order_key
from bot.domain.model.messages import Outbound
from bot.domain.model.progress import Standing
from bot.domain.model.weeks import Week
from bot.domain.usecases.standing import chain_of, figures_of, reply_units, standing_of
from bot.domain.usecases.turn import Turn

DIGEST_JOB = JobName.WEEKLY_DIGEST


class Change:
    """One change to a unit's week: takes the unit's lock, re-folds its entries when done,
    and says who else must hear of it (an admin's amendment)."""

    def __init__(self, turn: Turn, unit: Unit, week: Week) -> None:
        self.turn = turn
        self.unit = unit
        self.week = week
        turn.store.ledger.lock_unit(unit.code)
        self.chain = chain_of(turn, unit)
        self.by_admin = turn.is_admin_of(unit) and _member_unit_code(turn) != unit.code
        # The reply needs the unit and the quota it counts toward; a correction, the chain.
        self.shown = self.chain if self.by_admin else reply_units(self.chain)
        self.before = self._figures() if self.by_admin else {}
        self.after: dict[str, UnitWeekTotal] = {}

    def _figures(self) -> dict[str, UnitWeekTotal]:
        return figures_of(self.turn, self.week, self.shown)

    def effect_at_end(self, sent_at: datetime, mode: ReportMode, requested: int) -> int | None:
        """A new entry's effect when it lands after every live entry of the week (the
        usual case), computed before it is written; None when entries sent later exist and
        the week must be re-folded once it is in."""
        ledger = self.turn.store.ledger
        campaign, code, week = self.turn.campaign.id, self.unit.code, self.week.start
        total, later = ledger.append_point(campaign, code, week, sent_at)
        if later:
            return None
        return effect_of(mode, requested, total)

    def done(self, changed: ReportEntry, *, folded: bool = False) -> Standing:
        """Re-fold from the changed entry's place on (unless its effect was `folded` in
        already): the entries sent before keep their effects."""
        if not folded:
            self._refold(changed)
        self.after = self._figures()
        self.standing = standing_of(self.turn, self.unit, self.week, self.after, self.chain)
        return self.standing

    def _refold(self, changed: ReportEntry) -> None:
        ledger = self.turn.store.ledger
        campaign, code, week = self.turn.campaign.id, self.unit.code, self.week.start
        place = order_key(changed)
        start = ledger.own_total_before(campaign, code, week, place)
        _, effects = changed_effects(ledger.live_entries(campaign, code, week, place), start)
        if effects:
            ledger.set_effects(effects)

    def notices(self, words: str) -> list[Outbound]:
        """An admin changed a unit's figures: its secretaries and groups are told, and so
        are the digest's subscribers when the week was already digested."""
        if not self.by_admin:
            return []
        turn = self.turn
        told = wording.admin_changed_figures(
            turn.sender, self.unit, self.week, words, self.standing
        )
        chats = turn.store.chats.unit_chats([self.unit.code]).get(self.unit.code, [])
        messages = [Outbound(chat, told) for chat in chats if chat != turn.inbound.chat]
        if turn.store.job_runs.has_run(DIGEST_JOB, self.week.iso):
            messages += self._corrections()
        return messages

    def _corrections(self) -> list[Outbound]:
        """For each subscription whose scope holds the unit: old -> new, up to its scope."""
        changes = [
            (self.before[unit.code], self.after[unit.code])
            for unit in self.chain
            if unit.code in self.before
            and unit.code in self.after
            and self.before[unit.code].total != self.after[unit.code].total
        ]
        chain_codes = {unit.code for unit in self.chain}
        corrections = []
        for subscription in self.turn.store.subscriptions.active():
            if subscription.scope is not None and subscription.scope not in chain_codes:
                continue
            shown = _within_scope(changes, subscription.scope)
            if shown and subscription.chat != self.turn.inbound.chat:
                text = wording.digest_correction(self.week, shown, self.turn.metric)
                corrections.append(Outbound(subscription.chat, text))
        return corrections


def _within_scope(
    changes: list[tuple[UnitWeekTotal, UnitWeekTotal]], scope: str | None
) -> list[tuple[UnitWeekTotal, UnitWeekTotal]]:
    """The changed units from the amended one up to the subscription's scope unit."""
    shown = []
    for before, after in changes:  # the amended unit first, then its ancestors
        shown.append((before, after))
        if after.unit.code == scope:
            break
    return shown


def _member_unit_code(turn: Turn) -> str | None:
    unit = turn.member_unit()
    return unit.code if unit else None
