"""One parser per kind of value (guidelab.values), and every command reading user ids as text."""
from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from guidelab.abtest import assign
from guidelab.analysis import analyze_user_table, user_table_counts
from guidelab.cli import main
from guidelab.eligibility import eligible_from_cli
from guidelab.errors import DataError, GuidelabError
from guidelab.values import (
    BOOL_VOCABULARY,
    FALSE_TOKENS,
    TRUE_TOKENS,
    BoolParseError,
    parse_bool,
    shown,
    sql_bool_case,
    sql_bool_is_valid,
    sql_identifier,
    sql_literal,
    user_id_text,
)

ONBOARDING = "experiments/onboarding-tour-vs-checklist.yaml"
NOW = "2026-10-05T12:00:00+09:00"


# --- booleans --------------------------------------------------------------------------------
def _spellings(token: str) -> list[str]:
    return [token, token.upper(), token.capitalize(), f"  {token}\t", f"\n{token.upper()} ", f"\u3000{token}\u00a0"]


GOOD = [(s, True) for t in TRUE_TOKENS for s in _spellings(t)] + [(s, False) for t in FALSE_TOKENS for s in _spellings(t)]
BAD = ["", " ", "\u200btrue", "_true", "2", "-1", "tru", "yess", "nein", "null", "none", "o", "1.5", "0.1", "00", "t r u e", "true!", "はい"]


def test_vocabulary_is_the_documented_one():
    assert set(TRUE_TOKENS) == {"true", "t", "yes", "y", "on", "1", "1.0"}
    assert set(FALSE_TOKENS) == {"false", "f", "no", "n", "off", "0", "0.0"}
    assert not set(TRUE_TOKENS) & set(FALSE_TOKENS)


@pytest.mark.parametrize("text,expected", GOOD)
def test_parse_bool_accepts_every_spelling(text, expected):
    assert parse_bool(text) is expected


@pytest.mark.parametrize("value,expected", [(True, True), (False, False), (1, True), (0, False), (1.0, True),
                                            (0.0, False)])
def test_parse_bool_typed_values(value, expected):
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", [*BAD, None, 2, -1, 0.5, float("nan"), [], "x" * 5000])
def test_parse_bool_refuses_with_the_field_and_the_vocabulary(value):
    with pytest.raises(BoolParseError) as info:
        parse_bool(value, "first_session")
    message = str(info.value)
    assert message.startswith("first_session: expected a boolean")
    assert BOOL_VOCABULARY in message
    assert len(message) < 300  # a long value is cut, never echoed whole
    assert isinstance(info.value, GuidelabError) and isinstance(info.value, ValueError)


def test_python_and_sql_agree_on_every_token():
    """The DuckDB twin reads every spelling (good and bad) exactly as parse_bool does."""
    values = [s for s, _ in GOOD] + BAD
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, v VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
    rows = con.execute(f"SELECT i, {sql_bool_case('v')}, {sql_bool_is_valid('v')} FROM t ORDER BY i").fetchall()
    assert len(rows) == len(values)
    for (_i, sql_value, sql_valid), text in zip(rows, values):
        try:
            expected = int(parse_bool(text))
        except BoolParseError:
            expected = None
        assert sql_value == expected, text
        assert sql_valid is (expected is not None), text


@pytest.mark.parametrize("sql_type,values", [("BOOLEAN", [True, False]), ("INTEGER", [1, 0, 2]),
                                             ("DOUBLE", [1.0, 0.0, 0.5]), ("BIGINT", [1, 0, -1])])
def test_python_and_sql_agree_on_typed_columns(sql_type, values):
    """Parquet columns arrive typed: the SQL twin reads them as parse_bool reads the Python values."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (i INTEGER, v {sql_type})")
    con.executemany("INSERT INTO t VALUES (?, ?)", [[i, v] for i, v in enumerate(values)] + [[len(values), None]])
    rows = con.execute(f"SELECT {sql_bool_case('v')}, {sql_bool_is_valid('v')} FROM t ORDER BY i").fetchall()
    for (sql_value, sql_valid), v in zip(rows, values):
        try:
            expected = int(parse_bool(v))
        except BoolParseError:
            expected = None
        assert sql_value == expected, v
        assert sql_valid is (expected is not None), v
    assert rows[-1] == (None, True)  # NULL is missing, not invalid: the caller counts it


def test_no_other_boolean_vocabulary_in_lib():
    """The tokens live in guidelab.values only: no module keeps its own list of 'yes'/'true'."""
    lib = Path(__file__).resolve().parent.parent / "lib"
    pattern = re.compile(r"""\(\s*["'](true|yes)["']\s*,\s*["']""", re.IGNORECASE)
    offenders = [p.name for p in lib.rglob("*.py") if p.name != "values.py" and pattern.search(p.read_text("utf-8"))]
    assert offenders == []


# --- SQL quoting -----------------------------------------------------------------------------
AWKWARD = ["plain", "it's", "''", "'; DROP TABLE t; --", 'say "hi"', "back\\slash", "new\nline", "タブ\tと日本語",
           "🎉", "", "a'b'c''d"]


@pytest.mark.parametrize("text", AWKWARD)
def test_sql_literal_round_trips_through_duckdb(text):
    assert duckdb.connect().execute(f"SELECT {sql_literal(text)}").fetchone()[0] == text


def test_sql_literal_of_a_path():
    p = Path("/tmp/it's here/x.csv")
    assert duckdb.connect().execute(f"SELECT {sql_literal(p)}").fetchone()[0] == str(p)


@pytest.mark.parametrize("name", [n for n in AWKWARD if n] + ["select", "user id", "a.b"])
def test_sql_identifier_round_trips_through_duckdb(name):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({sql_identifier(name)} INTEGER)")
    con.execute("INSERT INTO t VALUES (7)")
    assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == [name]
    assert con.execute(f"SELECT {sql_identifier(name)} FROM t").fetchone()[0] == 7


def test_no_hand_written_sql_quoting_in_lib():
    """Quotes are doubled in guidelab.values only (sql_literal / sql_identifier)."""
    lib = Path(__file__).resolve().parent.parent / "lib"
    offenders = [f"{p.name}:{i}" for p in lib.rglob("*.py") if p.name != "values.py"
                 for i, line in enumerate(p.read_text("utf-8").splitlines(), 1)
                 if ".replace(" in line and ("\"''\"" in line or "'\"\"'" in line)]
    assert offenders == []


# --- user ids ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value,expected", [("00000003", "00000003"), (" 7 ", " 7 "), ("NA", "NA"), (3, "3"),
                                            (None, None), (float("nan"), None), ("ユーザー", "ユーザー")])
def test_user_id_text(value, expected):
    assert user_id_text(value) == expected


@pytest.mark.parametrize("value", [3.0, 1e16, True])
def test_user_id_text_refuses_numbers_that_lost_their_spelling(value):
    with pytest.raises(GuidelabError, match="^row 4: expected"):
        user_id_text(value, "row 4")


def test_shown_bounds_a_long_value():
    assert shown("abc") == "'abc'"
    cut = shown("x" * 200_000)
    assert len(cut) < 120 and "200,000 characters" in cut


# --- every command reads ids as text ----------------------------------------------------------
PADDED = [f"{i:08d}" for i in range(1, 41)] + ["0042", "007", "NA", "null", "1e3", " 5"]


@pytest.fixture
def users_csv(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("user_id,plan\n" + "".join(f"{u},free\n" for u in PADDED), encoding="utf-8")
    return path


def _assigned(root, tmp_path, users: Path) -> dict[str, str | None]:
    out = tmp_path / "assigned.csv"
    assert main(["assign", str(root / ONBOARDING), "--users", str(users), "--out", str(out), "--no-log"]) == 0
    table = pacsv.read_csv(out, convert_options=pacsv.ConvertOptions(column_types={"user_id": pa.string()}))
    return {u: (v or None) for u, v in zip(table.column("user_id").to_pylist(), table.column("variant").to_pylist())}


def _programme(root):
    """The repository's programme holdout: assign and eligible apply it to the examples."""
    from guidelab.programme import find_programme

    programme = find_programme(root / "experiments")
    assert programme is not None
    return programme


def _eligible(table_text: str) -> dict[str, str | None]:
    body = "\n".join(line for line in table_text.splitlines() if not line.startswith("#"))
    df = pd.read_csv(pd.io.common.StringIO(body), dtype=str, na_filter=False)
    return {u: (v or None) for u, v in zip(df["user_id"], df["variant"])}


def test_assign_and_eligible_agree_on_zero_padded_ids(root, tmp_path, monkeypatch, onboarding_spec, users_csv):
    monkeypatch.chdir(root)
    by_assign = _assigned(root, tmp_path, users_csv)
    text, code = eligible_from_cli(ONBOARDING, str(users_csv), NOW, None)
    assert code == 0
    by_eligible = _eligible(text)
    assert list(by_eligible) == PADDED and list(by_assign) == PADDED  # every id, as written
    assert by_eligible == by_assign
    assert by_assign == {u: assign(onboarding_spec, u, programme=_programme(root)).variant for u in PADDED}
    # The test has teeth: for some ids the number (3 for 00000003) is hashed into another arm.
    assert any(assign(onboarding_spec, u).variant != assign(onboarding_spec, str(int(u))).variant
               for u in PADDED[:40])


def test_eligible_parquet_and_json_agree_with_assign(root, tmp_path, monkeypatch, onboarding_spec):
    monkeypatch.chdir(root)
    pq_path = tmp_path / "users.parquet"
    pq.write_table(pa.table({"user_id": PADDED}), pq_path)
    assert _eligible(eligible_from_cli(ONBOARDING, str(pq_path), NOW, None)[0]) == {
        u: assign(onboarding_spec, u, programme=_programme(root)).variant for u in PADDED}
    for u in ("00000003", "00000017"):
        text, _ = eligible_from_cli(ONBOARDING, json.dumps({"user_id": u}), NOW, None)
        assert text.startswith(f"user {u}: experiment onboarding-tour-vs-checklist, variant "
                               f"{assign(onboarding_spec, u).variant or '-'},")
    # A JSON number is not an id (ids are text), nor is empty text.
    with pytest.raises(GuidelabError, match=r'--user: user_id: expected the user id as text, e.g. "00000003"'):
        eligible_from_cli(ONBOARDING, '{"user_id": 3}', NOW, None)
    with pytest.raises(GuidelabError, match="--user: user_id: expected a user id, got empty text"):
        eligible_from_cli(ONBOARDING, '{"user_id": ""}', NOW, None)


def test_eligible_refuses_float_and_empty_ids(root, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    floats = tmp_path / "float_ids.parquet"
    pq.write_table(pa.table({"user_id": [3.0, 4.0]}), floats)
    with pytest.raises(DataError, match=r"float_ids.parquet: user_id: row 1: expected user ids as text"):
        eligible_from_cli(ONBOARDING, str(floats), NOW, None)
    empty = tmp_path / "empty_id.csv"
    empty.write_text("user_id,plan\nu1,free\n,free\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"empty_id.csv: user_id: row 2: empty user id"):
        eligible_from_cli(ONBOARDING, str(empty), NOW, None)


def test_assign_refuses_float_ids(root, tmp_path):
    floats = tmp_path / "float_ids.parquet"
    pq.write_table(pa.table({"user_id": [3.0, 4.0]}), floats)
    with pytest.raises(DataError, match="user ids are numbers of type DOUBLE"):
        from guidelab.ids import read_user_ids
        read_user_ids(floats)
    assert main(["assign", str(root / ONBOARDING), "--users", str(floats), "--out", str(tmp_path / "a.csv"),
                 "--no-log"]) == 2


def test_eligible_booleans_use_the_one_vocabulary(root, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    table = tmp_path / "users.csv"
    table.write_text("user_id,first_session\na,t\nb,Y\nc,on\nd,off\ne,\nf,0\n", encoding="utf-8")
    assert eligible_from_cli(ONBOARDING, str(table), NOW, None)[1] == 0
    table.write_text("user_id,first_session\na,t\nb,maybe\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"users.csv: first_session: row 2: expected a boolean \(true/false, t/f"):
        eligible_from_cli(ONBOARDING, str(table), NOW, None)


def test_analyze_reads_variants_as_text_and_booleans_by_the_vocabulary(tmp_path):
    path = tmp_path / "users.csv"
    rows = ["variant,converted"]
    for i in range(400):
        v = ("007", "7", "010")[i % 3]  # '007' and '7' are two arms, not one
        rows.append(f"{v},{('t', 'f', 'on', 'off', 'Y', 'n', '1', '0')[i % 8]}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    users, per_metric, _ = user_table_counts(path, "variant", ["converted"])
    assert users == {"007": 134, "010": 133, "7": 133}
    expected = {v: sum(1 for i in range(400) if ("007", "7", "010")[i % 3] == v and i % 2 == 0) for v in users}
    assert {v: c.successes for v, c in per_metric["converted"].items()} == expected
    assert {v: c.n for v, c in per_metric["converted"].items()} == users
    path.write_text("variant,converted\n007,yes\n7,perhaps\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"converted: 1 value\(s\) are not booleans, e.g. 'perhaps': expected true/false"):
        analyze_user_table(path, "variant", "007", ["converted"])


def test_analyze_command_control_keeps_leading_zeros(tmp_path, capsys):
    path = tmp_path / "users.csv"
    path.write_text("variant,converted\n" + "".join(f"{('007', '008')[i % 2]},{i % 3 == 0}\n" for i in range(300)),
                    encoding="utf-8")
    assert main(["analyze", str(path), "--variant", "variant", "--control", "007", "--metric", "converted",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["assigned"] == {"007": 150, "008": 150} and doc["control"] == "007"


def test_simulated_ids_are_text_and_assign_agrees(root, tmp_path, onboarding_spec):
    """simulate writes ids as text; feeding its CSV back to assign gives the arms it wrote."""
    out = tmp_path / "sim"
    assert main(["simulate", str(root / ONBOARDING), "--users", "300", "--days", "7", "--seed", "5",
                 "--format", "csv", "--out", str(out)]) == 0
    raw = (out / "assignments.csv").read_text(encoding="utf-8").splitlines()
    assert raw[0].replace('"', "").split(",")[:3] == ["user_id", "experiment", "variant"]
    sim = pacsv.read_csv(out / "assignments.csv",
                         convert_options=pacsv.ConvertOptions(column_types={"user_id": pa.string()}))
    ids = sim.column("user_id").to_pylist()
    assert len(ids) == len(set(ids)) > 0
    users = tmp_path / "users.csv"
    users.write_text("user_id\n" + "\n".join(ids) + "\n", encoding="utf-8")
    # simulate writes one experiment on its own; assign also applies the repository's programme
    # holdout, whose users get no arm
    from guidelab.programme import in_holdout

    programme = _programme(root)
    held = {u for u in ids if in_holdout(programme, u)}
    assert held and len(held) < len(ids)
    assert _assigned(root, tmp_path, users) == {u: None if u in held else v
                                                 for u, v in zip(ids, sim.column("variant").to_pylist())}


# --- pydantic models read booleans by the same vocabulary --------------------------------------
def test_models_read_booleans_by_the_one_vocabulary():
    from pydantic import ValidationError

    from guidelab.eligibility import PageContext, UserContext
    from guidelab.experiment import StatisticsSpec
    from guidelab.throttle import SeenGuide, ThrottlePolicy

    for text, expected in GOOD:
        assert PageContext(first_session=text).first_session is expected
        assert StatisticsSpec(sequential=text).sequential is expected
        assert SeenGuide(guide_id="g", shown_at="2026-10-01T09:00:00+09:00", interacted=text).interacted is expected
        assert ThrottlePolicy(priority_order=text).priority_order is expected
    for bad in ("maybe", "", "2"):
        with pytest.raises(ValidationError, match=r"expected a boolean \(true/false, t/f"):
            UserContext(user_id="u", context={"first_session": bad})


def test_eligible_json_and_table_read_first_session_alike(root, tmp_path, monkeypatch):
    """A tour user who matches the targeting: first_session decides, read alike from JSON and CSV."""
    monkeypatch.chdir(root)
    signup, tokens = "2026-10-04T09:00:00+09:00", [text for text, _ in GOOD[::2]]
    by_json = []
    for text in tokens:
        user = {"user_id": "u2", "signup_at": signup, "attributes": {"plan": "free", "country": "JP"},
                "context": {"first_session": text}}
        by_json.append(eligible_from_cli(ONBOARDING, json.dumps(user), NOW, None)[0])
    table = tmp_path / "users.csv"
    pd.DataFrame({"user_id": "u2", "signup_at": signup, "plan": "free", "country": "JP",
                  "first_session": tokens}).to_csv(table, index=False)
    body = "\n".join(line for line in eligible_from_cli(ONBOARDING, str(table), NOW, None)[0].splitlines()
                     if not line.startswith("#"))
    rows = pd.read_csv(pd.io.common.StringIO(body), dtype=str, na_filter=False)
    assert len(rows) == len(tokens)
    for text, one, (_, row) in zip(tokens, by_json, rows.iterrows()):
        assert ("NOT ELIGIBLE" not in one.splitlines()[0]) == (row["eligible"] == "True"), text
        assert [r.strip()[2:] for r in one.splitlines()[1:]] == row["reasons"].split(" | "), text
    assert set(rows["eligible"]) == {"True", "False"}  # first_session does decide here
    assert list(rows["eligible"] == "True") == [parse_bool(t) for t in tokens]

