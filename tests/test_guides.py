"""Guides: every type loads, every rule is refused at the right field and line, targeting and
schedules evaluate correctly (semantic versions checked against packaging itself)."""
from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pydantic import BaseModel, ConfigDict

from guidelab.errors import SpecError
from guidelab.guides import (
    GUIDE_TYPES,
    Condition,
    Guide,
    LocalizedText,
    Schedule,
    Targeting,
    Trigger,
    days_since,
    evaluate_targeting,
    load_guide,
    schedule_is_live,
)
from guidelab.yamlio import load_yaml, validate_as

FIXTURES = Path(__file__).parent / "fixtures" / "guides"
TOKYO = ZoneInfo("Asia/Tokyo")
UTC = dt.timezone.utc


# --- helpers -----------------------------------------------------------------------------
def write(tmp_path: Path, text: str, name: str = "guide.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_guide(path)
    for p in info.value.problems:
        assert p.file == str(path)
    return info.value.problems


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line of (dedented) ``text`` containing ``needle``."""
    seen = 0
    for i, line in enumerate(textwrap.dedent(text).lstrip("\n").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return i
    raise AssertionError(f"{needle!r} not in text")


def assert_problem(found, field: str, fragment: str, line: int | None):
    matches = [p for p in found if p.field == field]
    assert matches, f"no problem at {field!r}; got {[str(p) for p in found]}"
    assert any(fragment in p.message for p in matches), [str(p) for p in matches]
    if line is not None:
        assert any(p.line == line for p in matches if fragment in p.message), [str(p) for p in matches]


# --- valid guides --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", GUIDE_TYPES)
def test_every_type_has_a_valid_fixture_that_loads(kind):
    guide = load_guide(FIXTURES / f"{kind}.yaml")
    assert guide.type == kind
    assert all(step.id for step in guide.steps)


@pytest.mark.parametrize("kind", GUIDE_TYPES)
def test_text_is_kept_exactly(kind):
    """Every text equals what a plain YAML parser reads: no strip, no normalisation, no escaping."""
    path = FIXTURES / f"{kind}.yaml"
    guide = load_guide(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))

    def raw_at(loc):
        node = raw
        for part in loc:
            node = node[part]
        return node

    texts = list(guide.iter_texts())
    assert texts
    for loc, text in texts:
        assert text.root == raw_at(loc), loc


def test_japanese_emoji_and_full_width_characters_survive():
    modal = load_guide(FIXTURES / "modal.yaml")
    step = modal.steps[0]
    assert step.title["ja"] == "ＡＩ要約が使えるようになりました✨"
    assert step.body["ja"] == "議事録を１クリックで要約。　全角スペースもそのまま。"
    assert modal.name.get("ja") == "新機能のお知らせ（ＡＩ要約）"
    assert step.buttons[0].url == "https://example.com/help/ai?ref=modal#top"
    tour = load_guide(FIXTURES / "tour.yaml")
    assert tour.steps[0].title["ja"] == "ようこそ！🎉"
    assert tour.steps[1].title["en"] == "Press “New project”"
    assert tour.steps[2].target == "[data-test='invite'] > button"
    html_like = '<b>太字</b> & "quotes"'
    text = LocalizedText.model_validate({"ja": html_like, "en": "x"})
    assert text["ja"] == html_like


def test_defaults_and_derived_values():
    tour = load_guide(FIXTURES / "tour.yaml")
    assert tour.step_ids == ["welcome", "step-2", "step-3"]
    assert tour.locales == ["ja", "en"]
    assert tour.steps[1].placement == "bottom"
    assert tour.trigger.delay_seconds == 3
    tooltip = load_guide(FIXTURES / "tooltip.yaml")
    assert tooltip.priority == 50
    assert tooltip.trigger.on == "event" and tooltip.trigger.event == "report_opened"
    assert tooltip.schedule is None and tooltip.targeting is None and tooltip.name is None
    assert tooltip.display_name("ja") == "export-tooltip"
    checklist = load_guide(FIXTURES / "checklist.yaml")
    assert checklist.locales == ["ja", "en", "pt-BR"]
    assert checklist.frequency.mode == "once"
    survey = load_guide(FIXTURES / "survey.yaml")
    assert [s.question.kind for s in survey.steps] == ["nps", "rating", "poll"]
    assert [s.question.scale for s in survey.steps] == [(0, 10), (1, 5), None]


def test_schedule_is_normalised_to_aware_datetimes():
    modal = load_guide(FIXTURES / "modal.yaml")
    assert modal.schedule.start == dt.datetime(2026, 10, 1, 9, tzinfo=TOKYO)
    assert modal.schedule.start.utcoffset() == dt.timedelta(hours=9)
    assert modal.schedule.end == dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=TOKYO)
    banner = load_guide(FIXTURES / "banner.yaml")  # offsets written, no timezone
    assert banner.schedule.start == dt.datetime(2026, 11, 1, 15, tzinfo=UTC)
    assert banner.schedule.tz.utcoffset(None) == dt.timedelta(hours=9)


def test_guide_round_trips_through_model_dump():
    for kind in GUIDE_TYPES:
        guide = load_guide(FIXTURES / f"{kind}.yaml")
        again = Guide.model_validate(guide.model_dump())
        assert again == guide
        assert Guide.model_validate(guide.model_dump(mode="json")) == guide
    dumped = load_guide(FIXTURES / "tour.yaml").model_dump(mode="json", exclude_none=True)
    assert dumped["targeting"]["all"][1] == {"attribute": "country", "in": ["JP", "US"]}


def test_guide_nested_in_another_model_reports_nested_paths(tmp_path):
    class Spec(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        guides: list[Guide]

    text = """
    guides:
      - id: ok
        type: banner
        steps:
          - title: {ja: あ, en: a}
        trigger: {on: first_session}
      - id: bad
        type: tour
        steps:
          - title: {ja: あ, en: a}
            placement: center
            buttons:
              - {label: {ja: 次, en: Next}, action: next}
          - title: {ja: い, en: b}
            target: "#x"
            buttons:
              - {label: {ja: 次, en: Next}, action: next}
        trigger: {on: first_session}
    """
    path = write(tmp_path, text, "spec.yaml")
    data, lines = load_yaml(path)
    with pytest.raises(SpecError) as info:
        validate_as(Spec, data, path, lines)
    (problem,) = info.value.problems
    assert problem.field == "guides[1].steps[1].buttons[0].action"
    assert problem.line == line_of(text, "action: next", 2)
    assert "next button cannot be on the last step" in problem.message
    good = validate_as(Spec, {"guides": [data["guides"][0]]}, path, lines)
    assert good.guides[0].step_ids == ["step-1"]


def test_condition_accepts_python_name_for_in():
    cond = Condition(attribute="country", in_=["JP"])
    assert cond.model_dump(exclude_none=True) == {"attribute": "country", "in": ["JP"]}
    assert Condition.model_validate({"attribute": "country", "in": ["JP"]}) == cond


def test_localized_text_get_falls_back():
    text = LocalizedText.model_validate({"ja": "こんにちは", "en": "Hello"})
    assert text.get("ja") == "こんにちは"
    assert text.get("fr") == "Hello"
    assert text.get("fr", fallback="ja") == "こんにちは"
    only_ja = LocalizedText.model_validate({"ja": "だけ"})
    assert only_ja.get("de") == "だけ"
    assert "ja" in text and text.locales == ["ja", "en"]


def test_trigger_matches_page_glob():
    trigger = Trigger.model_validate({"on": "page_view", "page": "/dashboard*"})
    assert trigger.matches_page("/dashboard")
    assert trigger.matches_page("/dashboard/projects?tab=1")
    assert not trigger.matches_page("/settings/dashboard")
    assert not Trigger.model_validate({"on": "first_session"}).matches_page("/dashboard")


# --- rules refused, at the right field and line ----------------------------------------------
BASE_TOUR = """
id: tour-x
type: tour
steps:
  - id: one
    placement: center
    title: {ja: ようこそ, en: Welcome}
    buttons:
      - {label: {ja: 次へ, en: Next}, action: next}
  - id: two
    target: "#a"
    title: {ja: 作成, en: Create}
    buttons:
      - {label: {ja: 戻る, en: Back}, action: back}
      - {label: {ja: 完了, en: Done}, action: complete}
trigger: {on: first_session}
"""


def test_base_tour_is_valid(tmp_path):
    assert load_guide(write(tmp_path, BASE_TOUR)).step_ids == ["one", "two"]


def _one_step(kind: str, step: str = "  - title: {ja: あ, en: a}\n", extra: str = "") -> str:
    return f"id: g\ntype: {kind}\nsteps:\n{step}trigger: {{on: first_session}}\n{extra}"


STEP = "  - title: {ja: あ, en: a}\n"
TARGET_STEP = "  - title: {ja: あ, en: a}\n    target: '#t'\n"
CHECK_STEP = "  - title: {ja: あ, en: a}\n    complete_event: done\n"

# (name, yaml text, field path, message fragment, needle for the expected line or None)
RULE_CASES = [
    ("unknown type", BASE_TOUR.replace("type: tour", "type: popup"), "type",
     "expected one of modal, tooltip, banner, tour, checklist, survey", "type: popup"),
    ("bad guide id", BASE_TOUR.replace("id: tour-x", "id: Tour_X"), "id", "expected an id", "id: Tour_X"),
    ("bad step id", BASE_TOUR.replace("id: two", "id: 'two words'"), "steps[1].id", "expected an id",
     "two words"),
    ("missing locale en", BASE_TOUR.replace("{ja: 作成, en: Create}", "{ja: 作成}"), "steps[1].title",
     "missing locale 'en'", "{ja: 作成}"),
    ("missing locale ja in label", BASE_TOUR.replace("{ja: 戻る, en: Back}", "{en: Back}"),
     "steps[1].buttons[0].label", "missing locale 'ja'", "{en: Back}"),
    ("locale not listed", BASE_TOUR.replace("{ja: 作成, en: Create}", "{ja: 作成, en: Create, fr: Créer}"),
     "steps[1].title.fr", "not in locales (ja, en)", "fr: Créer"),
    ("listed locale missing", BASE_TOUR.replace("type: tour", "type: tour\nlocales: [ja, en, ko]"),
     "steps[0].title", "missing locale 'ko'", "{ja: ようこそ, en: Welcome}"),
    ("locales without en", BASE_TOUR.replace("type: tour", "type: tour\nlocales: [ja]"), "locales",
     "missing locale 'en'", "locales: [ja]"),
    ("bad locale code", BASE_TOUR.replace("type: tour", "type: tour\nlocales: [ja, en, Japanese]"),
     "locales[2]", "expected a locale code", "locales:"),
    ("blank text", BASE_TOUR.replace("{ja: 作成, en: Create}", "{ja: '  ', en: Create}"),
     "steps[1].title.ja", "empty text for locale 'ja'", "{ja: '  '"),
    ("full-width blank text", BASE_TOUR.replace("{ja: 作成, en: Create}", "{ja: '\u3000', en: Create}"),
     "steps[1].title.ja", "empty text", "{ja: '\u3000'"),
    ("text not a mapping", BASE_TOUR.replace("{ja: 作成, en: Create}", "Create"), "steps[1].title",
     "expected text per locale", "title: Create"),
    ("null text", BASE_TOUR.replace("{ja: 作成, en: Create}", "{ja: null, en: Create}"), "steps[1].title.ja",
     "missing text for locale 'ja'", "{ja: null"),
    ("step without text", BASE_TOUR.replace("    title: {ja: 作成, en: Create}\n", ""), "steps[1].title",
     "expected a title or a body", "id: two"),
    ("modal with 2 steps", _one_step("modal", STEP * 2), "steps", "a modal has exactly 1 step, got 2",
     "steps:"),
    ("banner with 0 steps", "id: g\ntype: banner\nsteps: []\ntrigger: {on: first_session}\n", "steps",
     "a banner has exactly 1 step, got 0", "steps:"),
    ("tooltip step without target", _one_step("tooltip", TARGET_STEP + STEP), "steps[1].target",
     "required for tooltip steps", ("title", 2)),
    ("tour with 1 step", _one_step("tour", TARGET_STEP), "steps", "a tour needs at least 2 steps, got 1",
     "steps:"),
    ("tour step without target", BASE_TOUR.replace('    target: "#a"\n', ""), "steps[1].target",
     "required for tour steps unless placement is center", "id: two"),
    ("checklist with 1 step", _one_step("checklist", CHECK_STEP), "steps",
     "a checklist needs at least 2 steps, got 1", "steps:"),
    ("checklist step without event", _one_step("checklist", CHECK_STEP + STEP), "steps[1].complete_event",
     "required for checklist steps", ("title", 2)),
    ("complete_event outside checklist", _one_step("modal", CHECK_STEP), "steps[0].complete_event",
     "only checklist steps", "complete_event"),
    ("survey step without question", _one_step("survey"), "steps[0].question", "required for survey steps",
     "title"),
    ("question outside survey", _one_step("modal", STEP + "    question: {kind: nps}\n"), "steps[0].question",
     "only survey steps ask a question", "question"),
    ("poll with 1 option",
     _one_step("survey", STEP + "    question: {kind: poll, options: [{ja: あ, en: a}]}\n"),
     "steps[0].question.options", "expected 2 to 10 options", "question"),
    ("poll without options", _one_step("survey", STEP + "    question: {kind: poll}\n"),
     "steps[0].question.options", "required for a poll", "question"),
    ("nps with options",
     _one_step("survey", STEP + "    question: {kind: nps, options: [{ja: あ, en: a}, {ja: い, en: b}]}\n"),
     "steps[0].question.options", "only a poll has options", "question"),
    ("bad question kind", _one_step("survey", STEP + "    question: {kind: stars}\n"), "steps[0].question.kind",
     "expected one of nps, rating, poll", "question"),
    ("back on first step", BASE_TOUR.replace("action: next", "action: back"), "steps[0].buttons[0].action",
     "back button cannot be on the first step", "action: back"),
    ("next on last step", BASE_TOUR.replace("action: complete", "action: next"), "steps[1].buttons[1].action",
     "next button cannot be on the last step", "{ja: 完了"),
    ("next in a modal", _one_step("modal", STEP + "    buttons:\n      - {label: {ja: 次, en: N}, action: next}\n"),
     "steps[0].buttons[0].action", "next button cannot be on the last step", "action: next"),
    ("bad action", BASE_TOUR.replace("action: complete", "action: finish"), "steps[1].buttons[1].action",
     "expected one of next, back, dismiss, complete, url", "action: finish"),
    ("url action without url", BASE_TOUR.replace("action: complete", "action: url"), "steps[1].buttons[1].url",
     "required when action is url", "action: url"),
    ("javascript url", BASE_TOUR.replace("action: complete", "action: url, url: 'javascript:alert(1)'"),
     "steps[1].buttons[1].url", "expected an http(s) URL", "javascript:"),
    ("data url", BASE_TOUR.replace("action: complete", "action: url, url: 'data:text/html,<b>x</b>'"),
     "steps[1].buttons[1].url", "expected an http(s) URL", "data:"),
    ("relative url", BASE_TOUR.replace("action: complete", "action: url, url: /help"),
     "steps[1].buttons[1].url", "expected an http(s) URL", "/help"),
    ("scheme-relative url", BASE_TOUR.replace("action: complete", "action: url, url: //evil.example"),
     "steps[1].buttons[1].url", "expected an http(s) URL", "evil"),
    ("ftp url", BASE_TOUR.replace("action: complete", "action: url, url: 'ftp://example.com/x'"),
     "steps[1].buttons[1].url", "expected an http(s) URL", "ftp:"),
    ("url with space", BASE_TOUR.replace("action: complete", "action: url, url: 'https://a.example/x y'"),
     "steps[1].buttons[1].url", "expected an http(s) URL", "x y"),
    ("url on a non-url button", BASE_TOUR.replace("action: complete", "action: complete, url: 'https://a.jp'"),
     "steps[1].buttons[1].url", "only used with action: url", "a.jp"),
    ("duplicate step ids", BASE_TOUR.replace("id: two", "id: one"), "steps[1].id", "duplicate step id 'one'",
     ("id: one", 2)),
    ("explicit id equal to a default one", _one_step("tooltip", TARGET_STEP + TARGET_STEP.replace(
        "  - ", "  - id: step-1\n    ")), "steps[1].id", "a step without an id is named step-<position>",
     "id: step-1"),
    ("bad placement", BASE_TOUR.replace("placement: center", "placement: middle"), "steps[0].placement",
     "expected one of top, bottom, left, right, center", "placement: middle"),
    ("unknown field", BASE_TOUR.replace("    title: {ja: 作成", "    titel: {ja: 作成"), "steps[1].titel",
     "unknown field", "titel"),
    ("page_view without page", BASE_TOUR.replace("{on: first_session}", "{on: page_view}"), "trigger.page",
     "required for on: page_view", "trigger:"),
    ("page not a path", BASE_TOUR.replace("{on: first_session}", "{on: page_view, page: dashboard}"),
     "trigger.page", "expected a path glob starting with '/'", "trigger:"),
    ("event trigger without event", BASE_TOUR.replace("{on: first_session}", "{on: event}"), "trigger.event",
     "required for on: event", "trigger:"),
    ("page on an event trigger", BASE_TOUR.replace("{on: first_session}", "{on: event, event: e, page: /x}"),
     "trigger.page", "only used with on: page_view", "trigger:"),
    ("bad trigger", BASE_TOUR.replace("{on: first_session}", "{on: hover}"), "trigger.on",
     "expected one of page_view, event, first_session", "trigger:"),
    ("negative delay", BASE_TOUR.replace("{on: first_session}", "{on: first_session, delay_seconds: -1}"),
     "trigger.delay_seconds", "greater than or equal to 0", "trigger:"),
    ("end before start",
     BASE_TOUR + "schedule:\n  start: 2026-10-31T00:00:00\n  end: 2026-10-01T00:00:00\n  timezone: Asia/Tokyo\n",
     "schedule.end", "expected end after start", "end:"),
    ("end equal to start",
     BASE_TOUR + "schedule: {start: '2026-10-01T00:00:00+09:00', end: '2026-09-30T15:00:00Z'}\n",
     "schedule.end", "expected end after start", "schedule:"),
    ("naive time without timezone", BASE_TOUR + "schedule:\n  start: 2026-10-01T09:00:00\n", "schedule.start",
     "has no UTC offset", "start:"),
    ("unknown timezone",
     BASE_TOUR + "schedule:\n  start: 2026-10-01T09:00:00\n  timezone: Asia/Tokio\n", "schedule.timezone",
     "unknown time zone 'Asia/Tokio'", "timezone:"),
    ("date without time", BASE_TOUR + "schedule:\n  start: 2026-10-01\n  timezone: UTC\n", "schedule.start",
     "a date alone is ambiguous", "start:"),
    ("local time skipped by DST",
     BASE_TOUR + "schedule:\n  start: 2026-03-08T02:30:00\n  timezone: America/New_York\n", "schedule.start",
     "does not exist in America/New_York", "start:"),
    ("empty schedule", BASE_TOUR + "schedule: {timezone: UTC}\n", "schedule", "expected start, end or both",
     "schedule:"),
    ("bad frequency mode", BASE_TOUR + "frequency: {mode: always}\n", "frequency.mode",
     "expected one of once, until_interacted, every_time", "frequency:"),
    ("zero cap", BASE_TOUR + "frequency:\n  mode: every_time\n  max_total: 0\n", "frequency.max_total",
     "expected a positive whole number", "max_total"),
    ("fractional cap", BASE_TOUR + "frequency:\n  mode: every_time\n  min_hours_between: 1.5\n",
     "frequency.min_hours_between", "expected a positive whole number", "min_hours_between"),
    ("cap with mode once", BASE_TOUR + "frequency:\n  mode: once\n  max_per_day: 2\n", "frequency.max_per_day",
     "not used with mode: once", "max_per_day"),
    ("daily cap above total", BASE_TOUR + "frequency:\n  mode: every_time\n  max_per_day: 5\n  max_total: 2\n",
     "frequency.max_per_day", "expected at most max_total (2)", "max_per_day"),
    ("priority too high", BASE_TOUR + "priority: 101\n", "priority", "expected a whole number from 0 to 100",
     "priority"),
    ("priority as text", BASE_TOUR + "priority: high\n", "priority", "expected a whole number", "priority"),
    ("empty targeting", BASE_TOUR + "targeting: {all: []}\n", "targeting", "expected at least one condition",
     "targeting"),
    ("two tests in one condition",
     BASE_TOUR + "targeting:\n  all:\n    - {attribute: plan, equals: free, in: [pro]}\n", "targeting.all[0]",
     "expected one test per condition, got equals and in", "attribute: plan"),
    ("condition without a test", BASE_TOUR + "targeting:\n  any:\n    - {attribute: plan}\n", "targeting.any[0]",
     "expected a test", "attribute: plan"),
    ("condition without attribute", BASE_TOUR + "targeting:\n  all:\n    - {equals: free}\n",
     "targeting.all[0].attribute", "expected the user attribute", "equals: free"),
    ("empty in list", BASE_TOUR + "targeting:\n  all:\n    - {attribute: c, in: []}\n", "targeting.all[0].in",
     "expected at least one value", "attribute: c"),
    ("text mixed with a boolean", BASE_TOUR + "targeting:\n  all:\n    - attribute: country\n      in: [JP, true]\n",
     "targeting.all[0].in[1]", "quote it", "in: [JP, true]"),
    ("condition outside all/any", BASE_TOUR + "targeting:\n  version: \">= 3.2\"\n",
     "targeting.version", "under all: or any:", 'version: ">= 3.2"'),
    ("null equals", BASE_TOUR + "targeting:\n  all:\n    - {attribute: plan, equals: null}\n",
     "targeting.all[0].equals", "expected a string, a number or true/false", "attribute: plan"),
    ("empty range", BASE_TOUR + "targeting:\n  all:\n    - {attribute: seats, gte: 10, lte: 1}\n",
     "targeting.all[0].lte", "no value can match >= 10 and <= 1", "attribute: seats"),
    ("gt with gte", BASE_TOUR + "targeting:\n  all:\n    - {attribute: seats, gt: 1, gte: 2}\n",
     "targeting.all[0].gte", "use gt or gte, not both", "attribute: seats"),
    ("range on text", BASE_TOUR + "targeting:\n  all:\n    - {attribute: seats, gte: ten}\n",
     "targeting.all[0].gte", "expected a number", "attribute: seats"),
    ("bare version", BASE_TOUR + "targeting:\n  all:\n    - {attribute: app_version, version: '2.3.0'}\n",
     "targeting.all[0].version", "no operator", "attribute: app_version"),
    ("garbage version", BASE_TOUR + "targeting:\n  all:\n    - {attribute: app_version, version: '>=latest'}\n",
     "targeting.all[0].version", "expected a version comparison", "attribute: app_version"),
    ("unquoted float version", BASE_TOUR + "targeting:\n  all:\n    - {attribute: app_version, version: 2.3}\n",
     "targeting.all[0].version", "quote it", "attribute: app_version"),
    ("days with attribute",
     BASE_TOUR + "targeting:\n  all:\n    - {attribute: plan, days_since_signup: {lte: 7}}\n",
     "targeting.all[0].attribute", "days_since_signup is a condition of its own", "attribute: plan"),
    ("days without bound", BASE_TOUR + "targeting:\n  all:\n    - days_since_signup: {}\n",
     "targeting.all[0].days_since_signup", "expected at least one bound", "days_since_signup"),
    ("unknown operator", BASE_TOUR + "targeting:\n  all:\n    - {attribute: plan, contains: free}\n",
     "targeting.all[0].contains", "unknown field", "attribute: plan"),
    ("bad event name", BASE_TOUR + "goal_event: ' spaced '\n", "goal_event", "without surrounding spaces",
     "goal_event"),
]


@pytest.mark.parametrize("text, field, fragment, needle", [c[1:] for c in RULE_CASES],
                         ids=[c[0] for c in RULE_CASES])
def test_rule_is_refused_at_field_and_line(tmp_path, text, field, fragment, needle):
    found = problems(tmp_path, text)
    if isinstance(needle, tuple):
        line = line_of(text, *needle)
    else:
        line = line_of(text, needle) if needle else None
    assert_problem(found, field, fragment, line)


def test_type_error_message_is_exact(tmp_path):
    (p,) = problems(tmp_path, BASE_TOUR.replace("type: tour", "type: popup"))
    assert str(p).endswith(
        "guide.yaml:2: type: expected one of modal, tooltip, banner, tour, checklist, survey (got 'popup')")


def test_every_problem_of_a_kind_is_reported_together(tmp_path):
    text = BASE_TOUR.replace("action: next", "action: back").replace("action: complete", "action: next") \
        .replace("{ja: 作成, en: Create}", "{ja: 作成}").replace('    target: "#a"\n', "")
    fields = {p.field for p in problems(tmp_path, text)}
    assert fields == {"steps[0].buttons[0].action", "steps[1].buttons[1].action", "steps[1].title",
                      "steps[1].target"}


def test_trigger_defaults_to_any_page_view(tmp_path):
    guide = load_guide(write(tmp_path, BASE_TOUR.replace("trigger: {on: first_session}\n", "")))
    assert guide.trigger == Trigger(on="page_view", page="/*", delay_seconds=0)
    assert guide.trigger.matches_page("/anything/at/all")


def test_tour_target_may_be_null_only_when_centered(tmp_path):
    centered_later = BASE_TOUR.replace('    target: "#a"\n', "    placement: center\n")
    assert load_guide(write(tmp_path, centered_later)).steps[1].target is None


def test_duplicate_yaml_key_is_refused(tmp_path):
    text = BASE_TOUR.replace("type: tour\n", "type: tour\ntype: modal\n")
    (p,) = problems(tmp_path, text)
    assert "duplicate key 'type'" in p.message and "first on line 2" in p.message
    assert p.line == 3


def test_unsafe_yaml_tag_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    text = BASE_TOUR.replace("id: tour-x", f"id: !!python/object/apply:os.system ['touch {marker}']")
    (p,) = problems(tmp_path, text)
    assert "invalid YAML" in p.message and p.line == 1
    assert not marker.exists()


def test_recursive_alias_is_refused_not_crashing(tmp_path):
    found = problems(tmp_path, BASE_TOUR.replace("steps:", "x: &a [*a]\nsteps:"))
    assert any(p.field == "x" and "unknown field" in p.message for p in found)


def test_alias_bomb_loads_in_linear_time(tmp_path):
    """Nested aliases ("billion laughs") are not expanded when lines are mapped."""
    levels = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = "bomb:\n" + "".join(f"  {line}\n" for line in levels)
    found = problems(tmp_path, BASE_TOUR + bomb)  # 9**9 paths if expanded
    assert [p.field for p in found] == ["bomb"]


def test_impossible_date_is_reported_at_its_field(tmp_path):
    text = BASE_TOUR + "schedule:\n  start: 2026-13-01T00:00:00\n  timezone: UTC\n"
    (p,) = problems(tmp_path, text)
    assert p.field == "schedule.start" and p.line == line_of(text, "start:") and "month" in p.message


def test_yaml_on_key_read_as_boolean_still_works(tmp_path):
    """YAML 1.1 reads `on:` as true; the trigger accepts it (and `'on':`) as the field on."""
    quoted = BASE_TOUR.replace("{on: first_session}", "{'on': page_view, page: /x}")
    assert load_guide(write(tmp_path, quoted)).trigger.on == "page_view"
    assert load_guide(FIXTURES / "tooltip.yaml").trigger.on == "event"


# --- targeting -----------------------------------------------------------------------------
NOW = dt.datetime(2026, 10, 10, 12, 0, tzinfo=TOKYO)


def cond(**kw) -> Targeting:
    if "in_" in kw:
        kw["in"] = kw.pop("in_")
    return Targeting.model_validate({"all": [kw]})


TARGETING_CASES = [
    # (condition, attributes, matched, reason or None)
    (dict(attribute="plan", equals="free"), {"plan": "free"}, True, None),
    (dict(attribute="plan", equals="free"), {"plan": "pro"}, False, "plan is 'pro', expected 'free'"),
    (dict(attribute="plan", equals="free"), {"plan": "Free"}, False, "plan is 'Free', expected 'free'"),
    (dict(attribute="plan", equals="free"), {}, False, "plan is missing (expected = 'free')"),
    (dict(attribute="plan", equals="free"), {"plan": None}, False, "plan is missing (expected = 'free')"),
    (dict(attribute="seats", equals=1), {"seats": 1.0}, True, None),
    (dict(attribute="seats", equals=1), {"seats": "1"}, False, "seats is '1', expected 1"),
    (dict(attribute="admin", equals=True), {"admin": True}, True, None),
    (dict(attribute="admin", equals=True), {"admin": 1}, False, "admin is 1, expected true"),
    (dict(attribute="country", in_=["JP", "US"]), {"country": "JP"}, True, None),
    (dict(attribute="country", in_=["JP", "US"]), {"country": "FR"}, False,
     "country is 'FR', expected one of JP, US"),
    (dict(attribute="country", in_=["JP", "US"]), {"country": float("nan")}, False,
     "country is missing (expected in JP, US)"),
    (dict(attribute="browser", not_in=["ie"]), {"browser": "chrome"}, True, None),
    (dict(attribute="browser", not_in=["ie"]), {"browser": "ie"}, False, "browser is 'ie', expected none of ie"),
    (dict(attribute="browser", not_in=["ie"]), {}, False, "browser is missing (expected not in ie)"),
    (dict(attribute="seats", gte=1, lte=10), {"seats": 1}, True, None),
    (dict(attribute="seats", gte=1, lte=10), {"seats": 10}, True, None),
    (dict(attribute="seats", gte=1, lte=10), {"seats": 0}, False, "seats is 0, expected >= 1 and <= 10"),
    (dict(attribute="seats", gte=1, lte=10), {"seats": 10.5}, False, "seats is 10.5, expected >= 1 and <= 10"),
    (dict(attribute="seats", gt=1, lt=10), {"seats": 1}, False, "seats is 1, expected > 1 and < 10"),
    (dict(attribute="seats", gt=1, lt=10), {"seats": 9.99}, True, None),
    (dict(attribute="seats", lt=10), {"seats": 10}, False, "seats is 10, expected < 10"),
    (dict(attribute="seats", gte=1), {"seats": "5"}, False, "seats is '5', expected a number >= 1"),
    (dict(attribute="seats", gte=1), {"seats": True}, False, "seats is true, expected a number >= 1"),
    (dict(attribute="app_version", version=">=2.3.0"), {"app_version": "latest"}, False,
     "app_version is 'latest', which is not a version (expected >=2.3.0)"),
    (dict(attribute="app_version", version=">=2.3.0"), {"app_version": 2.4}, False,
     "app_version is 2.4, expected a version string matching >=2.3.0"),
    (dict(attribute="app_version", version=">=2.3.0"), {"app_version": "2.2.9"}, False,
     "app_version is '2.2.9', expected >=2.3.0"),
]


@pytest.mark.parametrize("condition, attributes, matched, reason", TARGETING_CASES)
def test_condition_table(condition, attributes, matched, reason):
    attrs = MappingProxyType(dict(attributes))  # read-only: evaluation must not write
    ok, reasons = evaluate_targeting(cond(**condition), attrs, NOW)
    assert ok is matched
    assert reasons == ([] if reason is None else [reason])


# (app version, specifier, expected). Each case is also checked against packaging directly:
# plain comparisons against packaging.version.Version ordering (build metadata dropped),
# wildcards and ~= against packaging.specifiers with pre-releases allowed.
VERSION_CASES = [
    ("2.10.0", ">=2.9.1", True),
    ("2.9.1", ">=2.10.0", False),
    ("2.10", ">2.9", True),
    ("2.3", ">=2.3.0", True),             # 2.3 == 2.3.0
    ("2.3", "==2.3.0", True),
    ("2.3.0", "<2.3", False),
    ("v2.3.1", ">=2.3.0", True),           # a leading v is accepted
    ("V2.3.1", ">2.3.1", False),
    ("2.3.1", ">=v2.3.1", True),           # also in the specifier
    ("2.4.0-beta.1", ">=2.3.0", True),     # pre-releases take part: 2.4.0b1 > 2.3.0
    ("2.3.0rc1", ">=2.3.0", False),        # ...and sort before their release
    ("2.3.0-rc.1", "<2.3.0", True),        # (a PEP 440 specifier would say False here)
    ("2.3.0-rc.1", "<=2.3.0", True),
    ("2.3.0a1", "<2.3.0b1", True),
    ("2.3.0.dev1", "<2.3.0a1", True),
    ("2.3.0+build.5", "==2.3.0", True),   # build metadata is ignored
    ("2.3.0+build.5", ">2.3.0", False),
    ("2.3.1", ">2.3.0", True),
    ("2.9.9", ">=2.3,<3", True),
    ("3.0.0", ">=2.3,<3", False),
    ("3.0.0-rc.1", ">=2.3,<3", True),
    ("2.3.7", "==2.3.*", True),
    ("2.30.0", "==2.3.*", False),
    ("2.4", "~=2.3", True),
    ("3.0", "~=2.3", False),
    ("2.3.0", "!=2.3", False),
    ("2.3.1", "!=2.3", True),
]
_ORDER = {"==": "__eq__", "!=": "__ne__", ">=": "__ge__", "<=": "__le__", ">": "__gt__", "<": "__lt__"}


def _packaging_says(version: str, spec: str) -> bool:
    v = Version(Version(version).public)
    for clause in spec.split(","):
        op = next(o for o in ("~=", "==", "!=", ">=", "<=", ">", "<") if clause.startswith(o))
        target = clause[len(op):].lstrip("vV")
        if op in _ORDER and not target.endswith(".*"):
            ok = getattr(v, _ORDER[op])(Version(target))
        else:
            ok = SpecifierSet(op + target).contains(v, prereleases=True)
        if not ok:
            return False
    return True


@pytest.mark.parametrize("version, spec, expected", VERSION_CASES)
def test_semantic_versions(version, spec, expected):
    ok, reasons = evaluate_targeting(cond(attribute="app_version", version=spec), {"app_version": version}, NOW)
    assert ok is expected, reasons
    assert _packaging_says(version, spec) is expected
    assert reasons == ([] if expected else [f"app_version is {version!r}, expected {spec}"])


@pytest.mark.parametrize("delta, days, matched", [
    (dt.timedelta(0), 0, True),
    (dt.timedelta(days=7), 7, True),
    (dt.timedelta(days=8) - dt.timedelta(microseconds=1), 7, True),
    (dt.timedelta(days=8), 8, False),
    (dt.timedelta(days=30), 30, False),
])
def test_days_since_signup_boundaries(delta, days, matched):
    signup = dt.datetime(2026, 10, 1, 10, 0, tzinfo=TOKYO)
    targeting = cond(days_since_signup={"lte": 7})
    moment = signup + delta
    for now in (moment, moment.astimezone(UTC), moment.astimezone(ZoneInfo("America/Los_Angeles"))):
        assert days_since(signup, now) == days
        ok, reasons = evaluate_targeting(targeting, {}, now, signup_at=signup)
        assert ok is matched
        assert reasons == ([] if matched else [f"days since signup is {days}, expected <= 7"])


def test_days_since_signup_counts_elapsed_time_not_calendar_dates():
    # 23:30 in Tokyo is 14:30 UTC: one hour later it is the next calendar day in Tokyo, still day 0.
    signup = dt.datetime(2026, 10, 1, 23, 30, tzinfo=TOKYO)
    assert days_since(signup, dt.datetime(2026, 10, 2, 0, 30, tzinfo=TOKYO)) == 0
    assert days_since(signup, dt.datetime(2026, 10, 2, 14, 30, tzinfo=UTC)) == 1
    # Across a DST change the same wall-clock time a week later is 1 hour short of 7 days.
    ny = ZoneInfo("America/New_York")
    before = dt.datetime(2026, 3, 7, 12, 0, tzinfo=ny)
    assert days_since(before, dt.datetime(2026, 3, 14, 12, 0, tzinfo=ny)) == 6
    assert days_since(before, dt.datetime(2026, 3, 14, 13, 0, tzinfo=ny)) == 7


def test_days_since_signup_missing_future_and_from_attributes():
    targeting = cond(days_since_signup={"gte": 1})
    ok, reasons = evaluate_targeting(targeting, {}, NOW)
    assert not ok and reasons == ["signup_at is missing (needed for days since signup >= 1)"]
    ok, reasons = evaluate_targeting(targeting, {}, NOW, signup_at=NOW + dt.timedelta(hours=1))
    assert not ok and "is after now" in reasons[0]
    ok, _ = evaluate_targeting(targeting, {"signup_at": NOW - dt.timedelta(days=2)}, NOW)
    assert ok


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate_targeting(None, {}, dt.datetime(2026, 10, 1))
    with pytest.raises(ValueError, match="signup_at"):
        evaluate_targeting(None, {}, NOW, signup_at=dt.datetime(2026, 10, 1))


def test_all_and_any():
    targeting = Targeting.model_validate({
        "all": [{"attribute": "country", "in": ["JP", "US"]}],
        "any": [{"attribute": "plan", "equals": "free"}, {"attribute": "seats", "lte": 10}],
    })
    assert evaluate_targeting(targeting, {"country": "JP", "plan": "pro", "seats": 3}, NOW) == (True, [])
    assert evaluate_targeting(targeting, {"country": "JP", "plan": "free", "seats": 50}, NOW) == (True, [])
    ok, reasons = evaluate_targeting(targeting, {"country": "FR", "plan": "pro", "seats": 50}, NOW)
    assert not ok
    assert reasons == ["country is 'FR', expected one of JP, US", "any: plan is 'pro', expected 'free'",
                       "any: seats is 50, expected <= 10"]
    assert evaluate_targeting(None, {}, NOW) == (True, [])


def test_fixture_tour_targeting():
    tour = load_guide(FIXTURES / "tour.yaml")
    signup = NOW - dt.timedelta(days=3)
    assert evaluate_targeting(tour.targeting, {"country": "JP", "plan": "free"}, NOW, signup)[0]
    ok, reasons = evaluate_targeting(tour.targeting, {"country": "JP", "plan": "pro"}, NOW, signup)
    assert not ok and reasons == ["any: plan is 'pro', expected 'free'",
                                  "any: seats is missing (expected >= 1 and <= 10)"]


# --- schedule ------------------------------------------------------------------------------
def test_schedule_is_live_at_boundaries():
    schedule = Schedule.model_validate({"start": "2026-10-01T09:00:00", "end": "2026-10-31T23:59:59",
                                        "timezone": "Asia/Tokyo"})
    start = dt.datetime(2026, 10, 1, 9, tzinfo=TOKYO)
    end = dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=TOKYO)
    tick = dt.timedelta(microseconds=1)
    assert not schedule_is_live(schedule, start - tick)
    assert schedule_is_live(schedule, start)                      # start inclusive
    assert schedule_is_live(schedule, start.astimezone(UTC))      # 00:00 UTC is 09:00 Tokyo
    assert not schedule_is_live(schedule, dt.datetime(2026, 10, 1, 8, 59, 59, tzinfo=TOKYO))
    assert not schedule_is_live(schedule, dt.datetime(2026, 10, 1, 0, 0, tzinfo=UTC) - tick)
    assert schedule_is_live(schedule, end)                        # end inclusive
    assert not schedule_is_live(schedule, end + tick)
    assert not schedule_is_live(schedule, dt.datetime(2026, 10, 31, 15, 0, tzinfo=UTC))  # Nov 1 00:00 Tokyo


def test_schedule_open_ends_offsets_and_none():
    only_start = Schedule.model_validate({"start": "2026-10-01T00:00:00+09:00"})
    assert only_start.timezone is None
    assert not schedule_is_live(only_start, dt.datetime(2026, 9, 30, 14, 59, 59, tzinfo=UTC))
    assert schedule_is_live(only_start, dt.datetime(2026, 9, 30, 15, 0, tzinfo=UTC))
    assert schedule_is_live(only_start, dt.datetime(2099, 1, 1, tzinfo=UTC))
    only_end = Schedule.model_validate({"end": dt.datetime(2026, 10, 1, tzinfo=UTC)})
    assert schedule_is_live(only_end, dt.datetime(2000, 1, 1, tzinfo=UTC))
    assert not schedule_is_live(only_end, dt.datetime(2026, 10, 1, 0, 0, 1, tzinfo=UTC))
    assert schedule_is_live(None, NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule_is_live(only_start, dt.datetime(2026, 10, 1))


def test_schedule_ambiguous_local_time_means_first_occurrence():
    # 01:30 happens twice in New York on 2026-11-01; the first is EDT (UTC-4).
    schedule = Schedule.model_validate({"start": "2026-11-01T01:30:00", "timezone": "America/New_York"})
    assert schedule.start.astimezone(UTC) == dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


# --- size limits -------------------------------------------------------------------------------
from guidelab.guides import MAX_BUTTONS, MAX_STEPS, TEXT_LIMITS  # noqa: E402


def _tour(n_steps: int = 2, title: str = "a", body: str = "b", label: str = "Next", buttons: int = 1) -> str:
    """A tour of ``n_steps`` centered steps; the first step carries the given texts (YAML, JSON-quoted)."""
    import json

    steps = []
    for i in range(n_steps):
        t, b = (title, body) if i == 0 else ("t", "b")
        action = "complete" if i == n_steps - 1 else "dismiss"
        btns = "".join(f"      - {{label: {{ja: {json.dumps(label if i == 0 else 'x', ensure_ascii=False)}, en: x}}, action: {action}}}\n"
                       for _ in range(buttons if i == 0 else 1))
        steps.append(f"  - placement: center\n    title: {{ja: {json.dumps(t, ensure_ascii=False)}, en: t}}\n"
                     f"    body: {{ja: b, en: {json.dumps(b, ensure_ascii=False)}}}\n    buttons:\n{btns}")
    return "id: long-tour\ntype: tour\nsteps:\n" + "".join(steps)


def test_limits_are_the_documented_ones(root):
    assert TEXT_LIMITS == {"name": 200, "title": 200, "body": 5_000, "label": 80, "option": 200}
    assert (MAX_STEPS, MAX_BUTTONS) == (20, 5)
    readme = (root / "experiments" / "README.md").read_text(encoding="utf-8")
    for figure in ("200 characters", "5,000 characters", "80 characters", "20 steps", "5 buttons"):
        assert figure in readme


def test_texts_at_the_limit_pass_and_count_characters_not_bytes(tmp_path):
    text = _tour(MAX_STEPS, title="あ" * TEXT_LIMITS["title"], body="😀" * TEXT_LIMITS["body"],
                 label="次" * TEXT_LIMITS["label"], buttons=MAX_BUTTONS)
    g = load_guide(write(tmp_path, text))
    assert len(g.steps) == MAX_STEPS and len(g.steps[0].title["ja"]) == TEXT_LIMITS["title"]


@pytest.mark.parametrize("kwargs, field, message", [
    ({"title": "あ" * 201}, "steps[0].title.ja", "too long: a title has at most 200 characters, got 201"),
    ({"body": "x" * 5_001}, "steps[0].body.en", "too long: a body has at most 5,000 characters, got 5,001"),
    ({"label": "y" * 81}, "steps[0].buttons[0].label.ja", "too long: a label has at most 80 characters, got 81"),
    ({"title": "z" * 200_000}, "steps[0].title.ja", "too long: a title has at most 200 characters, got 200,000"),
    ({"n_steps": 21}, "steps", "a guide has at most 20 steps, got 21: split it into several guides"),
    ({"buttons": 6}, "steps[0].buttons", "a step has at most 5 buttons, got 6"),
])
def test_over_the_limit_is_refused_at_field_and_line_without_echoing_the_text(tmp_path, kwargs, field, message):
    text = _tour(**kwargs)
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    p = found[0]
    assert p.field == field and p.message == message
    assert p.line is not None and p.line >= 3
    assert len(str(p)) < 200  # the long text itself is never echoed


def test_poll_option_and_name_limits(tmp_path):
    import json

    text = f"""
    id: long-survey
    type: survey
    name: {{ja: {json.dumps("名" * 201, ensure_ascii=False)}, en: Survey}}
    steps:
      - title: {{ja: 質問, en: Question}}
        question:
          kind: poll
          options:
            - {{ja: はい, en: {json.dumps("o" * 201, ensure_ascii=False)}}}
            - {{ja: いいえ, en: "No"}}
    """
    found = {p.field: p for p in problems(tmp_path, text)}
    assert found["name.ja"].message == "too long: a name has at most 200 characters, got 201"
    assert found["name.ja"].line == 3
    assert found["steps[0].question.options[0].en"].message == "too long: an option has at most 200 characters, got 201"
