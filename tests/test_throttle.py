"""The global throttle policy: caps, gap, priority order, exemptions, and the YAML file."""
from __future__ import annotations

import datetime as dt

import pytest

from guidelab.errors import SpecError
from guidelab.throttle import (
    Candidate,
    SeenGuide,
    ThrottlePolicy,
    apply_policy,
    load_policy,
)

NOW = dt.datetime(2026, 10, 5, 12, 0, tzinfo=dt.timezone.utc)
POLICY = ThrottlePolicy(max_guides_per_period=2, period_hours=24, min_gap_minutes=30,
                        priority_order=True, exempt=["incident"])


def seen(gid: str, minutes_ago: float, interacted: bool = False) -> SeenGuide:
    return SeenGuide(guide_id=gid, shown_at=NOW - dt.timedelta(minutes=minutes_ago), interacted=interacted)


CASES = [
    # (name, candidates, history, policy, expected [(guide, allowed, reason fragment)])
    ("nothing seen", [("a", 50)], [], POLICY, [("a", True, "allowed (0 of 2")]),
    ("cap reached", [("a", 50)], [seen("x", 60), seen("y", 120)], POLICY,
     [("a", False, "2 guides already shown in the last 24 h (max 2)")]),
    ("old showings do not count", [("a", 50)], [seen("x", 25 * 60), seen("y", 26 * 60)], POLICY,
     [("a", True, "allowed")]),
    ("future showings ignored", [("a", 50)], [seen("x", -10), seen("y", -20)], POLICY, [("a", True, "allowed")]),
    ("gap too short", [("a", 50)], [seen("x", 10)], POLICY, [("a", False, "last guide shown 10 min ago (min gap 30 min)")]),
    ("gap long enough", [("a", 50)], [seen("x", 31)], POLICY, [("a", True, "allowed (1 of 2")]),
    ("priority: highest wins", [("a", 40), ("b", 90)], [], POLICY,
     [("b", True, "allowed"), ("a", False, "b (priority 90) is shown instead")]),
    ("priority tie: smallest id", [("b", 50), ("a", 50)], [], POLICY,
     [("a", True, "allowed"), ("b", False, "a (priority 50) is shown instead")]),
    ("winner capped still blocks others", [("a", 40), ("b", 90)], [seen("x", 60), seen("y", 90)], POLICY,
     [("b", False, "already shown"), ("a", False, "b (priority 90) is shown instead")]),
    ("no priority order: gap blocks the second", [("a", 40), ("b", 90)], [],
     POLICY.model_copy(update={"priority_order": False}),
     [("b", True, "allowed"), ("a", False, "min gap 30 min")]),
    ("no priority order, no gap: cap blocks the third", [("a", 1), ("b", 2), ("c", 3)], [],
     POLICY.model_copy(update={"priority_order": False, "min_gap_minutes": 0}),
     [("c", True, "allowed"), ("b", True, "allowed (1 of 2"), ("a", False, "2 guides already shown")]),
    ("exempt ignores cap and gap", [("incident", 10)], [seen("x", 5), seen("y", 6)], POLICY,
     [("incident", True, "exempt from caps and gaps")]),
    ("exempt counts as shown", [("incident", 10), ("a", 90)], [], POLICY,
     [("a", False, "last guide shown 0 min ago"), ("incident", True, "exempt")]),
    ("exempt history counts toward cap", [("a", 50)], [seen("incident", 100), seen("incident", 200)], POLICY,
     [("a", False, "2 guides already shown")]),
]


@pytest.mark.parametrize("name,candidates,history,policy,expected", CASES, ids=[c[0] for c in CASES])
def test_apply_policy(name, candidates, history, policy, expected):
    decisions = apply_policy(policy, [Candidate(g, p) for g, p in candidates], history, NOW)
    got = {d.guide_id: d for d in decisions}
    assert len(decisions) == len(candidates)
    for gid, allowed, fragment in expected:
        assert got[gid].allowed is allowed, got[gid]
        assert fragment in got[gid].reason
        assert got[gid].reason.startswith("throttle: ")


def test_decisions_ordered_by_priority_then_id():
    decisions = apply_policy(POLICY, [Candidate("b", 50), Candidate("a", 50), Candidate("c", 99)], [], NOW)
    assert [d.guide_id for d in decisions] == ["c", "a", "b"]
    assert decisions[0].to_dict() == {"guide_id": "c", "allowed": True, "reason": decisions[0].reason,
                                      "code": "throttle_allowed", "params": {"count": 0, "max": 2, "period_hours": 24.0}}
    assert decisions[0].reason == "throttle: allowed (0 of 2 shown in the last 24 h)"


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        apply_policy(POLICY, [Candidate("a")], [], NOW.replace(tzinfo=None))


def test_example_policy_file_loads(root):
    policy = load_policy(root / "experiments" / "policies" / "throttle.yaml")
    assert policy.max_guides_per_period == 2 and policy.period_hours == 24
    assert policy.min_gap_minutes == 30 and policy.priority_order is True
    assert "maintenance-generic" in policy.exempt


@pytest.mark.parametrize("text,field", [
    ("max_guides_per_period: 0\n", "max_guides_per_period"),
    ("period_hours: -1\n", "period_hours"),
    ("min_gap_minutes: lots\n", "min_gap_minutes"),
    ("exempt: [a, a]\n", "exempt"),
    ("max_guides: 3\n", "max_guides"),
])
def test_bad_policy_names_file_field_and_line(tmp_path, text, field):
    path = tmp_path / "policy.yaml"
    path.write_text("priority_order: true\n" + text)
    with pytest.raises(SpecError) as info:
        load_policy(path)
    (problem,) = info.value.problems
    assert problem.file == str(path) and problem.field == field and problem.line == 2


def test_seen_guide_needs_offset():
    with pytest.raises(ValueError, match="UTC offset"):
        SeenGuide(guide_id="a", shown_at="2026-10-05T12:00:00")
