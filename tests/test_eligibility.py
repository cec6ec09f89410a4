"""Eligibility: each step and its reason, holdout, the table path against the scalar path, the CLI helper."""
from __future__ import annotations

import datetime as dt
import json
import random
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from guidelab.abtest import assign
from guidelab.eligibility import (
    UserContext,
    eligible_from_cli,
    evaluate_table,
    evaluate_user,
    summarize_history,
)
from guidelab.errors import GuidelabError
from guidelab.experiment import ExperimentSpec
from guidelab.throttle import ThrottlePolicy

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 10, 5, 12, 0, tzinfo=TOKYO)
FIXTURES = "tests/fixtures/eligibility"


def make_spec(**guide_overrides) -> ExperimentSpec:
    guide = {
        "id": "g", "type": "banner", "steps": [{"title": {"ja": "こんにちは", "en": "Hello"}}],
        "targeting": {"all": [{"attribute": "plan", "in": ["free", "trial"]}, {"days_since_signup": {"lte": 7}}]},
        "trigger": {"on": "page_view", "page": "/dashboard*"},
        "frequency": {"mode": "every_time"},
        "priority": 60,
    }
    guide.update(guide_overrides)
    return ExperimentSpec.model_validate({
        "id": "elig-test", "hypothesis": "h", "start": "2026-10-01", "end": "2026-10-28", "timezone": "Asia/Tokyo",
        "guides": [guide], "metrics": {"primary": "clicked"},
        "variants": [{"key": "holdout", "guide": None, "weight": 0.5}, {"key": "treat", "guide": "g", "weight": 0.5}],
    })


SPEC = make_spec()


def user_in(spec: ExperimentSpec, variant: str) -> str:
    return next(f"u{i}" for i in range(1000) if assign(spec, f"u{i}").variant == variant)


def ctx_user(spec=SPEC, variant="treat", **kw) -> UserContext:
    data = {"user_id": user_in(spec, variant), "attributes": {"plan": "free"},
            "signup_at": NOW - dt.timedelta(days=2), "context": {"page": "/dashboard"}}
    data.update(kw)
    return UserContext.model_validate(data)


def shown(hours_ago: float, interacted=False, gid="g") -> dict:
    return {"guide_id": gid, "shown_at": NOW - dt.timedelta(hours=hours_ago), "interacted": interacted}


# (name, spec, user overrides, now, policy, eligible, reason fragment)
CASES = [
    ("eligible", SPEC, {}, NOW, None, True, "frequency: every_time"),
    ("targeting attribute", SPEC, {"attributes": {"plan": "pro"}}, NOW, None, False,
     "targeting: plan is 'pro', expected one of free, trial"),
    ("targeting missing attribute", SPEC, {"attributes": {}}, NOW, None, False, "targeting: plan is missing"),
    ("targeting days since signup", SPEC, {"signup_at": NOW - dt.timedelta(days=30)}, NOW, None, False,
     "targeting: days since signup is 30, expected <= 7"),
    # Experiment dates are in Asia/Tokyo: 2026-10-01 starts at 2026-09-30T15:00Z.
    ("before experiment start (zone)", SPEC, {}, dt.datetime(2026, 9, 30, 14, 59, tzinfo=dt.timezone.utc), None,
     False, "the experiment starts on 2026-10-01 (Asia/Tokyo); it is 2026-09-30 23:59 there"),
    ("experiment started in Tokyo", SPEC, {"signup_at": dt.datetime(2026, 9, 29, tzinfo=dt.timezone.utc)},
     dt.datetime(2026, 9, 30, 15, 0, tzinfo=dt.timezone.utc), None, True, "experiment is live"),
    ("after experiment end (zone)", SPEC, {"signup_at": dt.datetime(2026, 10, 25, tzinfo=TOKYO)},
     dt.datetime(2026, 10, 28, 15, 0, tzinfo=dt.timezone.utc), None, False, "the experiment ended on 2026-10-28"),
    ("last minute of the end date", SPEC, {"signup_at": dt.datetime(2026, 10, 25, tzinfo=TOKYO)},
     dt.datetime(2026, 10, 28, 14, 59, tzinfo=dt.timezone.utc), None, True, "experiment is live"),
    ("guide schedule not started", make_spec(schedule={"start": "2026-10-05T13:00:00", "timezone": "Asia/Tokyo"}),
     {}, NOW, None, False, "schedule: guide g starts at 2026-10-05T13:00:00+09:00"),
    ("guide schedule ended", make_spec(schedule={"end": "2026-10-05T02:59:00+00:00"}), {}, NOW, None, False,
     "schedule: guide g ended at 2026-10-05T02:59:00+00:00"),
    ("guide schedule live", make_spec(schedule={"start": "2026-10-05T03:00:00+00:00"}), {}, NOW, None, True,
     "schedule: guide g is live"),
    ("page mismatch", SPEC, {"context": {"page": "/settings"}}, NOW, None, False,
     "trigger: page /settings does not match /dashboard*"),
    ("no page", SPEC, {"context": {"event": "x"}}, NOW, None, False, "trigger: no page view"),
    ("page query ignored", SPEC, {"context": {"page": "/dashboard/a?x=1"}}, NOW, None, True, "matches /dashboard*"),
    ("event matches", make_spec(trigger={"on": "event", "event": "project_created"}),
     {"context": {"event": "project_created"}}, NOW, None, True, "trigger: event project_created fired"),
    ("event mismatch", make_spec(trigger={"on": "event", "event": "project_created"}),
     {"context": {"event": "login"}}, NOW, None, False, "trigger: event login is not project_created"),
    ("first session", make_spec(trigger={"on": "first_session", "delay_seconds": 3}),
     {"context": {"first_session": True}}, NOW, None, True, "show after a delay of 3 s"),
    ("not first session", make_spec(trigger={"on": "first_session"}),
     {"context": {"first_session": False}}, NOW, None, False, "not the user's first session"),
    ("once, never shown", make_spec(frequency={"mode": "once"}), {"history": [shown(5, gid="other")]}, NOW, None,
     True, "frequency: once, shown 0 times"),
    ("once, shown before", make_spec(frequency={"mode": "once"}), {"history": [shown(50)]}, NOW, None, False,
     "frequency: once, and already shown 1 time"),
    ("until_interacted, not yet", make_spec(frequency={"mode": "until_interacted"}),
     {"history": [shown(50), shown(30)]}, NOW, None, True, "until_interacted, shown 2 times"),
    ("until_interacted, interacted", make_spec(frequency={"mode": "until_interacted"}),
     {"history": [shown(50, interacted=True)]}, NOW, None, False, "the user already interacted"),
    ("max_total", make_spec(frequency={"mode": "every_time", "max_total": 2}),
     {"history": [shown(50), shown(30)]}, NOW, None, False, "already shown 2 times (max_total 2)"),
    # 2026-10-05 00:30 Tokyo is today; 2026-10-04 23:30 Tokyo is yesterday.
    ("max_per_day today (zone)", make_spec(frequency={"mode": "every_time", "max_per_day": 1}),
     {"history": [shown(11.5)]}, NOW, None, False, "already shown 1 time today (max_per_day 1)"),
    ("max_per_day yesterday (zone)", make_spec(frequency={"mode": "every_time", "max_per_day": 1}),
     {"history": [shown(12.5)]}, NOW, None, True, "(0 today)"),
    ("min_hours_between", make_spec(frequency={"mode": "every_time", "min_hours_between": 24}),
     {"history": [shown(20)]}, NOW, None, False, "last shown 20.0 h ago (min_hours_between 24)"),
    ("min_hours_between passed", make_spec(frequency={"mode": "every_time", "min_hours_between": 24}),
     {"history": [shown(25)]}, NOW, None, True, "frequency: every_time"),
    ("until_goal, goal not reached", make_spec(frequency={"mode": "every_time", "until_goal": True}, goal_event="project_created"),
     {"done_events": ["login"]}, NOW, None, True, "frequency: every_time"),
    ("until_goal, goal reached", make_spec(frequency={"mode": "every_time", "until_goal": True}, goal_event="project_created"),
     {"done_events": ["project_created"]}, NOW, None, False,
     "frequency: until_goal, and the user already reached the goal (project_created)"),
    ("goal reached without until_goal", make_spec(goal_event="project_created"),
     {"done_events": ["project_created"]}, NOW, None, True, "frequency: every_time"),
    ("stop event", make_spec(frequency={"mode": "until_interacted", "stop_events": ["plan_upgraded", "churned"]}),
     {"done_events": ["churned"]}, NOW, None, False, "frequency: stop event churned already happened"),
    ("throttle cap", SPEC, {"history": [shown(2, gid="x"), shown(3, gid="y")]}, NOW, ThrottlePolicy(), False,
     "throttle: 2 guides already shown in the last 24 h (max 2)"),
    ("throttle gap", SPEC, {"history": [shown(0.25, gid="x")]}, NOW, ThrottlePolicy(), False,
     "throttle: last guide shown 15 min ago (min gap 30 min)"),
    ("throttle exempt", SPEC, {"history": [shown(0.25, gid="x"), shown(1, gid="y")]}, NOW,
     ThrottlePolicy(exempt=["g"]), True, "throttle: exempt"),
    ("throttle allowed", SPEC, {"history": [shown(1, gid="x")]}, NOW, ThrottlePolicy(), True,
     "throttle: allowed (1 of 2"),
]


@pytest.mark.parametrize("name,spec,overrides,now,policy,eligible,fragment", CASES, ids=[c[0] for c in CASES])
def test_steps_and_reasons(name, spec, overrides, now, policy, eligible, fragment):
    user = ctx_user(spec, **overrides)
    result = evaluate_user(spec, user, now, policy)
    assert result.eligible is eligible, result.reasons
    assert any(fragment in r for r in result.reasons), result.reasons
    assert result.variant == "treat" and result.guide_id == "g"
    assert result.reasons[0] == "assignment: variant 'treat' shows guide g"
    if eligible:
        assert result.show_after_seconds == spec.guides[0].trigger.delay_seconds
    else:
        assert result.show_after_seconds is None
    # The table path agrees on the same user (history given as summary columns).
    table = evaluate_table(spec, pd.DataFrame([_row(spec, user, now, policy)]), now, policy)
    assert table.loc[0, "eligible"] == eligible and table.loc[0, "reasons"] == result.reasons


def test_reasons_are_in_step_order():
    r = evaluate_user(SPEC, ctx_user(), NOW, ThrottlePolicy()).reasons
    assert [x.split(":")[0] for x in r] == ["assignment", "schedule", "schedule", "targeting", "trigger",
                                            "frequency", "throttle"]


def test_holdout_gets_no_guide():
    result = evaluate_user(SPEC, ctx_user(variant="holdout"), NOW)
    assert (result.eligible, result.variant, result.guide_id) == (False, "holdout", None)
    assert result.reasons == ["assignment: holdout: variant 'holdout' shows no guide"]
    assert "holdout" in result.to_dict()["reasons"][0]


def test_outside_coverage():
    spec = SPEC.model_copy(update={"coverage": 0.01})
    uid = next(f"u{i}" for i in range(1000) if assign(spec, f"u{i}").variant is None)
    result = evaluate_user(spec, ctx_user(user_id=uid), NOW)
    assert not result.eligible and result.variant is None
    assert result.reasons == ["assignment: not in the experiment (outside its 1% coverage)"]


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate_user(SPEC, ctx_user(), NOW.replace(tzinfo=None))


# --- scalar vs table ------------------------------------------------------------------------
def _row(spec, user: UserContext, now, policy) -> dict:
    a = assign(spec, user.user_id)
    guide = spec.guide_for(a.variant) if a.variant else None
    s = summarize_history(list(user.history), guide.id if guide else None, now, spec.tz, policy)
    return {"user_id": user.user_id, "signup_at": user.signup_at, "page": user.context.page,
            "event": user.context.event, "first_session": user.context.first_session, **user.attributes,
            "seen_count": s.seen_count, "seen_today": s.seen_today, "last_seen_at": s.last_seen_at,
            "interacted": s.interacted, "guides_in_period": s.guides_in_period, "last_guide_at": s.last_guide_at,
            "done_events": "|".join(user.done_events) or None}


def _random_users(n: int, seed: int) -> list[UserContext]:
    rng = random.Random(seed)
    users = []
    for i in range(n):
        attrs = {}
        if rng.random() < 0.9:
            attrs["plan"] = rng.choice(["free", "trial", "pro"])
        history = [{"guide_id": rng.choice(["g", "other", "incident"]),
                    "shown_at": NOW - dt.timedelta(hours=rng.uniform(0, 60)),
                    "interacted": rng.random() < 0.2} for _ in range(rng.choice([0, 0, 1, 2, 3]))]
        users.append(UserContext.model_validate({
            "user_id": f"user-{seed}-{i}", "attributes": attrs,
            "signup_at": None if rng.random() < 0.05 else NOW - dt.timedelta(hours=rng.uniform(0, 400)),
            "context": {"page": rng.choice(["/dashboard", "/dashboard/x?a=1", "/settings", None]),
                        "event": rng.choice([None, "project_created", "login"]),
                        "first_session": rng.random() < 0.5},
            "history": history,
            "done_events": rng.choice([[], [], ["project_created"], ["churned"], ["login", "project_created"]]),
        }))
    return users


@pytest.mark.parametrize("guide_overrides,policy", [
    ({}, None),
    ({"frequency": {"mode": "until_interacted", "max_per_day": 1, "max_total": 2, "min_hours_between": 6}},
     ThrottlePolicy()),
    ({"trigger": {"on": "event", "event": "project_created"}, "frequency": {"mode": "once"}},
     ThrottlePolicy(exempt=["g"], min_gap_minutes=120)),
    ({"trigger": {"on": "first_session", "delay_seconds": 5}, "targeting": None}, ThrottlePolicy(max_guides_per_period=1)),
    ({"frequency": {"mode": "every_time", "until_goal": True, "stop_events": ["churned"]}, "goal_event": "project_created"},
     None),
])
def test_table_equals_scalar_on_600_users(guide_overrides, policy):
    spec = make_spec(**guide_overrides)
    users = _random_users(600, seed=len(str(guide_overrides)))
    df = pd.DataFrame([_row(spec, u, NOW, policy) for u in users])
    table = evaluate_table(spec, df, NOW, policy)
    scalar = [evaluate_user(spec, u, NOW, policy).to_dict() for u in users]
    assert len(table) == len(users)
    for got, want in zip(table.to_dict("records"), scalar):
        assert got["eligible"] == want["eligible"] and got["guide_id"] == want["guide_id"]
        assert got["variant"] == want["variant"] and got["reasons"] == want["reasons"]
    # Enough of every outcome that the comparison means something.
    assert 0 < table["eligible"].sum() < len(table)
    assert (table["variant"] == "holdout").sum() > 100


def test_table_without_optional_columns():
    table = evaluate_table(SPEC, pd.DataFrame({"user_id": [user_in(SPEC, "treat")], "plan": ["free"]}), NOW)
    assert not table.loc[0, "eligible"]
    assert "signup_at is missing" in " ".join(table.loc[0, "reasons"])


def test_table_errors_name_the_column():
    with pytest.raises(GuidelabError, match="user_id"):
        evaluate_table(SPEC, pd.DataFrame({"plan": ["free"]}), NOW)
    with pytest.raises(GuidelabError, match="signup_at: row 1: .*UTC offset"):
        evaluate_table(SPEC, pd.DataFrame({"user_id": ["a"], "signup_at": ["2026-10-01T00:00:00"]}), NOW)


# --- CLI helper -----------------------------------------------------------------------------
ONBOARDING = "experiments/onboarding-tour-vs-checklist.yaml"
POLICY_FILE = "experiments/policies/throttle.yaml"


def test_cli_json_file(root, monkeypatch):
    monkeypatch.chdir(root)
    text, code = eligible_from_cli(ONBOARDING, f"{FIXTURES}/user.json", "2026-10-05T12:00:00+09:00", POLICY_FILE)
    assert code == 0
    assert text.startswith("user user-42: experiment onboarding-tour-vs-checklist, variant tour")
    assert "ELIGIBLE (show after 3 s)" in text and "  - throttle: allowed" in text


def test_cli_inline_json(root, monkeypatch):
    monkeypatch.chdir(root)
    user = json.dumps({"user_id": "user-42", "attributes": {"plan": "pro"}})
    text, code = eligible_from_cli(ONBOARDING, user, "2026-10-05T12:00:00+09:00", None)
    assert code == 0 and "NOT ELIGIBLE" in text and "signup_at is missing" in text


def test_cli_csv_table(root, monkeypatch, tmp_path):
    monkeypatch.chdir(root)
    text, code = eligible_from_cli(ONBOARDING, f"{FIXTURES}/users.csv", "2026-10-05T12:00:00+09:00", POLICY_FILE)
    assert code == 0 and text.startswith("# 1 of 4 users eligible")
    assert "user-4" in text and "already interacted" in text
    pq = tmp_path / "users.parquet"
    pd.read_csv(f"{FIXTURES}/users.csv").to_parquet(pq)
    text2, _ = eligible_from_cli(ONBOARDING, str(pq), "2026-10-05T12:00:00+09:00", POLICY_FILE)
    assert text2 == text


@pytest.mark.parametrize("user_arg,now,match", [
    (f"{FIXTURES}/bad_user.json", None, r"bad_user.json: signup_at: expected a date and time with a UTC offset"),
    (f"{FIXTURES}/bad_user.json", None, r"context.frist_session: unknown field"),
    ("missing.json", None, "neither a JSON object nor an existing"),
    ("{not json", None, "--user: invalid JSON"),
    (f"{FIXTURES}/users.csv", "2026-10-05T12:00:00", "--now: .* has no UTC offset"),
    (f"{FIXTURES}/users.csv", "tomorrow", "--now: expected an ISO date"),
])
def test_cli_errors(root, monkeypatch, user_arg, now, match):
    monkeypatch.chdir(root)
    with pytest.raises(GuidelabError, match=match):
        eligible_from_cli(ONBOARDING, user_arg, now, None)


def test_cli_bad_policy_file(root, monkeypatch, tmp_path):
    monkeypatch.chdir(root)
    bad = tmp_path / "p.yaml"
    bad.write_text("max_guides_per_period: 0\n")
    with pytest.raises(GuidelabError, match="p.yaml:1: max_guides_per_period"):
        eligible_from_cli(ONBOARDING, f"{FIXTURES}/user.json", None, str(bad))


def test_an_attribute_at_the_top_level_says_where_it_goes(root, capsys):
    from guidelab.cli import main

    code = main(["eligible", str(root / "experiments" / "onboarding-tour-vs-checklist.yaml"),
                 "--user", '{"user_id": "u1", "plan": "pro"}', "--now", "2026-10-05T09:00:00+09:00"])
    err = capsys.readouterr().err
    assert code == 2
    assert 'go under "attributes"' in err and '"attributes": {"plan"' in err and "guidelab schema eligibility-input" in err
    assert "Traceback" not in err


def test_stop_rules_in_the_table_and_the_cli(root, tmp_path, capsys):
    spec = make_spec(frequency={"mode": "every_time", "until_goal": True, "stop_events": ["churned"]},
                     goal_event="project_created")
    uid = user_in(spec, "treat")
    base = {"user_id": uid, "signup_at": (NOW - dt.timedelta(days=2)).isoformat(), "page": "/dashboard", "plan": "free"}
    df = pd.DataFrame([{**base, "done_events": None}, {**base, "done_events": "login|project_created"},
                       {**base, "done_events": " churned "}, {**base, "done_events": "login"}])
    got = evaluate_table(spec, df, NOW)
    assert got["eligible"].tolist() == [True, False, False, True]
    assert "already reached the goal" in got["reasons"][1][-1] and "stop event churned" in got["reasons"][2][-1]


def test_until_goal_needs_a_goal_event():
    from pydantic import ValidationError

    from guidelab.errors import SpecError

    with pytest.raises((SpecError, ValidationError), match="until_goal"):
        make_spec(frequency={"mode": "every_time", "until_goal": True})


def test_a_spec_randomised_by_account_hashes_the_users_account(root):
    """unit: account_id: the user's account_id attribute decides the arm, one arm per account; a user
    without one is not in the experiment; the table path needs the column and agrees row by row."""
    from guidelab.errors import DataError
    from guidelab.experiment import load_experiment

    spec = load_experiment(root / "experiments" / "b2b-onboarding-checklist.yaml")
    now = dt.datetime(2026, 10, 10, 12, tzinfo=ZoneInfo("Asia/Tokyo"))
    users = [(f"u{i}", None if i % 10 == 0 else f"acct-{i % 7}") for i in range(60)]
    one = [evaluate_user(spec, UserContext(user_id=u, attributes={} if a is None else {"account_id": a}), now)
           for u, a in users]
    for (u, a), e in zip(users, one):
        assert e.variant == (None if a is None else assign(spec, u, a).variant)
    by_account = {}
    for (_, a), e in zip(users, one):
        if a is not None:
            by_account.setdefault(a, set()).add(e.variant)
    assert all(len(v) == 1 for v in by_account.values()) and len(by_account) == 7
    table = evaluate_table(spec, pd.DataFrame({"user_id": [u for u, _ in users], "account_id": [a for _, a in users]}),
                           now)
    assert table["variant"].tolist() == [e.variant for e in one]
    with pytest.raises(DataError, match="randomised by account_id"):
        evaluate_table(spec, pd.DataFrame({"user_id": ["u1"]}), now)


def test_programme_holdout_users_are_never_eligible_and_told_why(root):
    """The programme holdout beside the spec: the scalar and table paths agree, and say why."""
    import pandas as pd

    from guidelab.eligibility import evaluate_table, evaluate_user
    from guidelab.experiment import load_experiment
    from guidelab.programme import find_programme, in_holdout

    spec = load_experiment(root / "experiments" / "nps-survey-timing.yaml")
    programme = find_programme(root / "experiments")
    ids = [f"u-{i}" for i in range(400)]
    held = [u for u in ids if in_holdout(programme, u)]
    assert held
    now = dt.datetime(2026, 11, 5, 10, tzinfo=dt.timezone.utc)
    table = evaluate_table(spec, pd.DataFrame({"user_id": ids, "event": "project_created"}), now, programme=programme)
    for uid, variant, eligible, reasons in zip(table.user_id, table.variant, table.eligible, table.reasons):
        one = evaluate_user(spec, UserContext(user_id=uid, context={"event": "project_created"}), now, programme=programme)
        assert (one.variant, one.eligible, one.reasons) == (variant, eligible, reasons)
        if uid in held:
            assert variant is None and not eligible and "programme holdout of guide-programme" in reasons[0]
        else:
            assert variant is not None


def test_account_programme_holdout_holds_out_whole_accounts_and_says_why(root):
    """A programme holding out accounts (unit: account_id) and an experiment randomised by user:
    every user of a held-out account is told so (with the account), a user without an account is
    told the programme needs one; scalar and table paths agree."""
    import pandas as pd

    from guidelab.eligibility import evaluate_table, evaluate_user
    from guidelab.experiment import load_experiment
    from guidelab.programme import find_programme, in_holdout

    spec = load_experiment(root / "experiments" / "nps-survey-timing.yaml")
    programme = find_programme(root / "experiments").model_copy(update={"unit": "account_id"})
    ids = [f"u-{i}" for i in range(300)]
    accounts = [None if i % 30 == 0 else f"acct-{i % 37}" for i in range(300)]
    held_accounts = {a for a in accounts if a and in_holdout(programme, "", a)}
    assert held_accounts
    now = dt.datetime(2026, 11, 5, 10, tzinfo=dt.timezone.utc)
    table = evaluate_table(spec, pd.DataFrame({"user_id": ids, "account_id": accounts, "event": "project_created"}),
                           now, programme=programme)
    for uid, acc, variant, reasons in zip(ids, accounts, table.variant, table.reasons):
        attrs = {} if acc is None else {"account_id": acc}
        one = evaluate_user(spec, UserContext(user_id=uid, attributes=attrs, context={"event": "project_created"}),
                            now, programme=programme)
        assert (one.variant, one.reasons) == (variant, reasons)
        if acc is None:
            assert variant is None and "no account_id" in reasons[0]
        elif acc in held_accounts:
            assert variant is None and f"account_id {acc} is in the programme holdout" in reasons[0]
        else:
            assert variant is not None
    from guidelab.errors import DataError

    with pytest.raises(DataError, match="holds out by account_id"):
        evaluate_table(spec, pd.DataFrame({"user_id": ["u1"]}), now, programme=programme)
