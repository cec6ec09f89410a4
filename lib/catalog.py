"""The built-in metric catalogue: names a spec may use, what each measures, and its direction.

Every metric here is a proportion over users (n users, successes users), which is what the
SQL in :mod:`guidelab.metrics` returns. Names are fixed words or a word with a day count:

* ``shown``, ``opened``, ``clicked``, ``dismissed``, ``completed`` - share of assigned users
  with that guide event (intention to treat: the holdout counts, with no events);
* ``click_through`` - clicked among users who opened the guide (not randomised: descriptive);
* ``goal_d<N>`` - did the goal event within N days of assignment (days 0..N-1), matured users;
* ``retention_d<N>`` - active on day N after assignment (day 0 = assignment day, in the
  experiment's time zone), counting only users whose day N is complete at the analysis date.

Mean metrics (per user: n, sum, sum of squares):

* ``sessions_d<N>`` - activity rows (sessions) on days 0..N-1, users with N complete days;
* ``active_days_d<N>`` - distinct active days among days 1..N, users with N complete days.

Ratio metrics (the unit of the ratio is not the randomised unit; delta method):

* ``clicks_per_impression`` - guide click events / guide shown events, summed per arm.

The CUPED covariate is ``pre_active_days``: distinct active days in the look-back window
before the assignment day (default 14 days).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

GUIDE_EVENTS = ("shown", "opened", "clicked", "dismissed", "completed", "opted_out", "answered")
MAX_DAYS = 365

_LABELS = {
    "shown": ("shown rate", "表示率"),
    "opened": ("open rate", "開封率"),
    "clicked": ("click rate", "クリック率"),
    "dismissed": ("dismiss rate", "クローズ率"),
    "completed": ("completion rate", "完了率"),
    "opted_out": ("\u201cdon't show again\u201d rate", "「今後表示しない」率"),
    "answered": ("survey response rate", "アンケート回答率"),
    "over_exposed": ("over-exposed users (too many guides)", "過剰表示されたユーザー（ガイド数過多）"),
    "click_through": ("click-through among openers", "開封者のクリック率"),
}


@dataclass(frozen=True)
class MetricDef:
    """A metric of the catalogue, parsed from its name."""

    name: str
    family: Literal["guide_event", "click_through", "goal", "retention", "sessions", "active_days",
                    "clicks_per_impression", "support", "over_exposed"]
    event: str | None = None          # guide event for family guide_event
    days: int | None = None           # N for goal_dN / retention_dN
    higher_is_better: bool = True

    @property
    def kind(self) -> Literal["proportion", "mean", "ratio"]:
        """Which sufficient statistics the metric reduces to, and so which test applies."""
        if self.family in ("sessions", "active_days"):
            return "mean"
        if self.family == "clicks_per_impression":
            return "ratio"
        return "proportion"

    def label(self, lang: str = "en") -> str:
        ja = lang == "ja"
        if self.family == "sessions":
            return f"{self.days}日間の1人あたりセッション数" if ja else f"sessions per user in {self.days} days"
        if self.family == "active_days":
            return f"{self.days}日間の1人あたりアクティブ日数" if ja else f"active days per user in {self.days} days"
        if self.family == "clicks_per_impression":
            return "表示1回あたりのクリック数" if ja else "clicks per impression"
        if self.family == "support":
            return f"{self.days}日以内のサポート問い合わせ率" if ja else f"support contacts within {self.days} days"
        if self.family == "goal":
            return f"{self.days}日以内の目標達成率" if ja else f"goal reached within {self.days} days"
        if self.family == "retention":
            return f"{self.days}日後リテンション" if ja else f"day-{self.days} retention"
        en, jp = _LABELS[self.name]
        return jp if ja else en

    @property
    def maturation_days(self) -> int:
        """Days after the assignment day before a user's value is final: N for every ``*_d<N>``
        metric (retention, goal, support, sessions, active days: the analysis counts a user once
        day N is complete), 0 for metrics known as they happen (guide events, click-through,
        clicks per impression, over-exposure). The ONE maturation rule: `guidelab plan` and the
        analysis' days still needed both read it."""
        return int(self.days) if self.days is not None else 0

    @property
    def guide_only(self) -> bool:
        """True for metrics only a shown guide can produce (guide events, click-through, clicks per
        impression): in a ``guide: null`` holdout they are 0 by construction, so they cannot be
        compared with a holdout (see ``guardrail_ceilings`` in ``experiments/README.md``)."""
        return self.family in ("guide_event", "click_through", "clicks_per_impression")

    @property
    def randomised(self) -> bool:
        """False for metrics conditioned on a post-assignment event (click_through)."""
        return self.family != "click_through"


_DAYS = re.compile(r"^(goal|retention|sessions|active_days|support)_d(\d{1,3})$")


def parse_metric(name: str) -> MetricDef:
    """Parse a metric name of the catalogue or raise ValueError saying what is accepted."""
    if name in GUIDE_EVENTS:
        return MetricDef(name, "guide_event", event=name, higher_is_better=name not in ("dismissed", "opted_out"))
    if name == "over_exposed":
        return MetricDef(name, "over_exposed", higher_is_better=False)
    if name == "click_through":
        return MetricDef(name, "click_through")
    if name == "clicks_per_impression":
        return MetricDef(name, "clicks_per_impression")
    m = _DAYS.match(name)
    if m:
        days = int(m.group(2))
        if m.group(1) == "goal" and not 1 <= days <= MAX_DAYS:
            raise ValueError(f"metric {name!r}: goal window must be 1..{MAX_DAYS} days")
        if m.group(1) == "retention" and not 0 <= days <= MAX_DAYS:
            raise ValueError(f"metric {name!r}: retention day must be 0..{MAX_DAYS}")
        if m.group(1) == "support":
            if not 1 <= days <= MAX_DAYS:
                raise ValueError(f"metric {name!r}: the window must be 1..{MAX_DAYS} days")
            return MetricDef(name, "support", days=days, higher_is_better=False)
        if m.group(1) in ("sessions", "active_days") and not 1 <= days <= MAX_DAYS:
            raise ValueError(f"metric {name!r}: the window must be 1..{MAX_DAYS} days")
        return MetricDef(name, m.group(1), days=days)  # type: ignore[arg-type]
    raise ValueError(
        f"unknown metric {name!r}: expected one of {', '.join(GUIDE_EVENTS)}, click_through, "
        "clicks_per_impression, over_exposed, goal_d<N> (e.g. goal_d7), retention_d<N> (e.g. retention_d7), "
        "sessions_d<N>, active_days_d<N> or support_d<N>"
    )
