"""Alert rule state machines (inactive -> pending -> firing -> resolved), pure: time comes from the snapshot.

Semantics, per rule instance:

- pending: the condition has held for less than ``for``; only known samples count (an interval counts when
  the samples at both ends are bad), so unknown data neither advances nor resets the timer. A sample that is
  not bad (for long_queue: below min_people) drops a pending alert back to inactive.
- firing: sends a firing notification (seq 0), then repeats it every ``repeat_every`` while firing.
- resolving needs the condition clearly gone for ``clear_after`` seconds of known samples (hold-down); for
  long_queue "clearly gone" means people < clear_below (default min_people - 1), and counts in the band
  clear_below <= people < min_people keep it firing (hysteresis), so a count flickering around min_people
  never resolves and re-fires. A resolved notification is sent (only if the firing one was).
- long_queue, counter_unstaffed and long_service are evaluated only while the site is open. Closing (lunch
  included) resolves a firing alert at once with reason 'closed' and drops a pending one; they start over at
  the next opening.
- camera_down is tracked always. Outside office hours it fires silently unless notify_when_closed; if still
  firing when the office opens, its firing notification (seq 0, original starts_at) goes out then, and the
  repeat interval runs from there. One that fired and resolved while closed is never notified. A resolution
  of an alert already notified is sent at once, even at night: it only closes what the supervisor has open.
- Samples more than GAP_LIMIT_S apart (the process was down) count as unknown time. A snapshot not newer than
  the last one is ignored (a restarted process re-feeding it); one more than GAP_LIMIT_S older starts a new
  timeline (e.g. ``replay`` of the same video into the same state dir): every rule starts inactive.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..config import AlertRule, SiteConfig, rule_id
from ..state.model import SiteSnapshot
from .conditions import Observation, gated_by_hours, observe, pending_for, per_session, subject_name, subject_of
from .notification import Notification, Status
from .rule_messages import build_notification, orphan_resolution
from .rule_state import STATE_VERSION, ActiveAlert, Phase, RuleState, rule_fingerprint

GAP_LIMIT_S = 600.0


class RuleBook:
    """Evaluates every alert rule of one site on successive snapshots; keeps per-rule state.

    >>> from monitor.config import SiteConfig
    >>> book = RuleBook(SiteConfig(id="s", name="S"))
    >>> book.export_state()["rules"]
    {}
    """

    def __init__(self, site: SiteConfig) -> None:
        """Start with every rule of the site inactive."""
        self.site = site
        self.rules: dict[str, AlertRule] = {rule_id(r): r for r in site.alerts.rules}
        self.states = {rid: self._fresh(r) for rid, r in self.rules.items()}
        self.last_t: float | None = None
        self.revision = 0  # bumped on every phase change or notification: the owner persists state then

    def _fresh(self, rule: AlertRule) -> RuleState:
        return RuleState(fingerprint=rule_fingerprint(rule), kind=rule.kind,
                         subject=subject_of(rule, self.site), name=subject_name(rule, self.site),
                         severity=rule.severity)

    # -- evaluation ------------------------------------------------------------------------------------------

    def evaluate(self, snap: SiteSnapshot) -> list[Notification]:
        """Advance every rule to ``snap.at``; return the notifications due (older snapshots are ignored)."""
        if snap.site != self.site.id:
            raise ValueError(f"snapshot of site {snap.site!r} given to the rule book of {self.site.id!r}")
        t = snap.at.timestamp()
        if self.last_t is not None and t <= self.last_t:
            if self.last_t - t <= GAP_LIMIT_S:
                return []  # a duplicate or a late one, e.g. a restarted process re-feeding what it had seen
            # Time jumped far back: a new timeline (replay of the same video again), not a late snapshot.
            self.states = {rid: self._fresh(r) for rid, r in self.rules.items()}
            self.revision += 1
        self.last_t = t
        out: list[Notification] = []
        for rid, rule in self.rules.items():
            out += self._step(rule, self.states[rid], t, snap.open, observe(rule, snap))
        return out

    def _step(self, rule: AlertRule, st: RuleState, t: float, site_open: bool,
              obs: Observation) -> list[Notification]:
        if per_session(rule):
            return self._step_session(rule, st, t, site_open, obs)
        before = (st.phase, st.notified, st.seq)
        dt = t - st.last_t if st.last_t is not None and 0 < t - st.last_t <= GAP_LIMIT_S else 0.0
        prev = st.last_obs
        out: list[Notification] = []
        if obs.bad is not None:
            st.values = dict(obs.values)
        if gated_by_hours(rule) and not site_open:
            if st.phase == "firing":
                out += self._resolve(rule, st, t, ends_at=t, reason="closed")
            elif st.phase == "pending":
                self._reset(st, "inactive")
            st.last_t, st.last_obs = t, "closed"
            return self._done(st, before, out)
        cur = obs.label
        if st.phase in ("inactive", "resolved") and cur == "bad":
            st.phase, st.since, st.held_s = "pending", t, 0.0
        elif st.phase == "pending":
            if cur == "bad" and prev == "bad":
                st.held_s += dt
            elif cur in ("clear", "band"):
                self._reset(st, "inactive")
        elif st.phase == "firing":
            if cur in ("bad", "band"):
                st.clear_since, st.clear_s = None, 0.0
            elif cur == "clear":
                if st.clear_since is None:
                    st.clear_since, st.clear_s = t, 0.0
                elif prev == "clear":
                    st.clear_s += dt
                if st.clear_s >= self._clear_after(rule):
                    out += self._resolve(rule, st, t, ends_at=st.clear_since, reason="cleared")
        if st.phase == "pending" and st.held_s >= pending_for(rule):
            st.phase, st.started_at, st.seq = "firing", t, 0
            st.notified, st.last_notified, st.clear_since, st.clear_s = False, None, None, 0.0
        if st.phase == "firing" and (site_open or getattr(rule, "notify_when_closed", False)):
            out += self._notify_firing(rule, st, t)
        st.last_t, st.last_obs = t, cur
        return self._done(st, before, out)

    def _notify_firing(self, rule: AlertRule, st: RuleState, t: float) -> list[Notification]:
        """Return the firing notification due now: the first one, or a repeat every ``repeat_every``."""
        if not st.notified:
            st.notified, st.last_notified = True, t
            return [self._notification(rule, st, t, "firing")]
        if st.last_notified is not None and t - st.last_notified >= self._repeat_every(rule):
            st.seq, st.last_notified = st.seq + 1, t
            return [self._notification(rule, st, t, "firing")]
        return []

    def _step_session(self, rule: AlertRule, st: RuleState, t: float, site_open: bool,
                      obs: Observation) -> list[Notification]:
        """Advance a per-session rule: fire once per session that gets too long, resolve when it ends.

        A session is known by its start (``obs.episode``). The alert resolves as soon as a snapshot shows that
        session gone (no session, or another one), with no hold-down: the next citizen's session is a new
        episode that may fire on its own. Unknown data holds the state; closing resolves with reason 'closed'.
        """
        before = (st.phase, st.notified, st.seq)
        out: list[Notification] = []
        if not site_open:
            if st.phase == "firing":
                out += self._resolve_session(rule, st, t, "closed")
            st.last_t, st.last_obs = t, "closed"
            return self._done(st, before, out)
        cur = obs.label
        if cur == "unknown":
            st.last_t, st.last_obs = t, cur
            return self._done(st, before, out)
        if st.phase == "firing" and obs.episode != st.episode:
            out += self._resolve_session(rule, st, t, "ended")
        if cur == "bad" and st.phase == "firing":
            st.values = dict(obs.values)
        elif cur == "bad" and obs.episode != st.done_episode:
            self._reset(st, "firing")
            st.episode, st.values = obs.episode, dict(obs.values)
            st.since, st.started_at = obs.episode, t
        if st.phase == "firing":
            out += self._notify_firing(rule, st, t)
        st.last_t, st.last_obs = t, cur
        return self._done(st, before, out)

    def _resolve_session(self, rule: AlertRule, st: RuleState, t: float, reason: str) -> list[Notification]:
        session_s = st.values.get("session_s")
        ended = st.episode + session_s if st.episode is not None and session_s is not None else t
        st.done_episode = st.episode
        out = self._resolve(rule, st, t, ends_at=min(ended, t) if reason == "ended" else t, reason=reason)
        st.episode = None
        return out

    def _done(self, st: RuleState, before: tuple[Any, ...], out: list[Notification]) -> list[Notification]:
        if out or before != (st.phase, st.notified, st.seq):
            self.revision += 1
        return out

    def _resolve(self, rule: AlertRule, st: RuleState, t: float, ends_at: float | None,
                 reason: str) -> list[Notification]:
        out = []
        if st.notified:
            st.seq += 1
            out.append(self._notification(rule, st, t, "resolved", ends_at=ends_at, reason=reason))
        self._reset(st, "resolved")
        st.resolved_at = t
        return out

    @staticmethod
    def _reset(st: RuleState, phase: Phase) -> None:
        st.phase, st.since, st.held_s, st.started_at = phase, None, 0.0, None
        st.clear_since, st.clear_s, st.seq, st.notified, st.last_notified = None, 0.0, 0, False, None

    def _repeat_every(self, rule: AlertRule) -> float:
        return rule.repeat_every if rule.repeat_every is not None else self.site.alerts.repeat_every

    def _clear_after(self, rule: AlertRule) -> float:
        return rule.clear_after if rule.clear_after is not None else self.site.alerts.clear_after

    def _notification(self, rule: AlertRule, st: RuleState, t: float, status: Status,
                      ends_at: float | None = None, reason: str | None = None) -> Notification:
        values = dict(st.values)
        start = st.since if st.since is not None else st.started_at
        values["duration_s"] = round(max(0.0, (ends_at if ends_at is not None else t) - (start or t)), 3)
        return build_notification(self.site, rule, status, t, st.started_at, ends_at, st.seq, values, reason)

    # -- queries and persistence -----------------------------------------------------------------------------

    def active(self) -> list[ActiveAlert]:
        """Return the pending and firing alerts."""
        return [ActiveAlert(self.site.id, rid, self.rules[rid].kind, st.phase, self.rules[rid].severity,
                            subject_of(self.rules[rid], self.site), st.since, st.started_at, st.last_notified,
                            st.notified, dict(st.values))
                for rid, st in self.states.items() if st.phase in ("pending", "firing")]

    def firing(self) -> dict[str, bool]:
        """Return {rule id: firing now} for every rule."""
        return {rid: st.phase == "firing" for rid, st in self.states.items()}

    def export_state(self) -> dict[str, Any]:
        """Return the rule states as JSON-ready data (persisted so a restart or reload keeps it)."""
        return {"version": STATE_VERSION, "site": self.site.id, "last_t": self.last_t,
                "rules": {rid: asdict(st) for rid, st in self.states.items()}}

    def import_state(self, data: dict[str, Any]) -> list[Notification]:
        """Load state exported by ``export_state``; keep it only for rules whose definition is unchanged.

        Returns resolved notifications (reason 'config_changed') for rules that were firing and notified but
        are gone or changed, so receivers do not keep an alert open forever.
        """
        if not data or data.get("version") != STATE_VERSION:
            return []
        self.last_t = data.get("last_t")
        out: list[Notification] = []
        for rid, raw in (data.get("rules") or {}).items():
            old = RuleState(**raw)
            rule = self.rules.get(rid)
            if rule is not None and old.fingerprint == self.states[rid].fingerprint:
                fresh = self.states[rid]
                old.name, old.severity = fresh.name, fresh.severity  # soft fields follow the new config
                self.states[rid] = old
            elif old.phase == "firing" and old.notified:
                out.append(orphan_resolution(self.site, rid, old))
        if out:
            self.revision += 1
        return out
