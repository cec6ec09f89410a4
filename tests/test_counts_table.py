"""guidelab analyze-counts: reading, validation, groups, and agreement with analyze on user rows."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from guidelab.cli import main
from guidelab.counts_table import (
    CountsOptions,
    analyze_counts_file,
    analyze_counts_table,
    group_record,
    parse_guardrail,
    read_counts_table,
)
from guidelab.errors import DataError, GuidelabError
from guidelab.report.words import reason_text

HEADER = "experiment,look,variant,users,conv,dismissed\n"


def _csv(tmp_path, body: str, header: str = HEADER, name: str = "counts.csv"):
    p = tmp_path / name
    p.write_text(header + body, encoding="utf-8")
    return p


GROUPS = ("e1,1,a,1000,100,50\ne1,1,b,1010,130,52\n"
          "e1,2,a,2000,200,100\ne1,2,b,2010,260,160\n"
          "e2,1,b,5000,520,12\ne2,1,a,5000,500,10\n")


# --- reading and groups ----------------------------------------------------------------------

def test_groups_in_file_order_with_text_ids(tmp_path):
    p = _csv(tmp_path, "007,01,a,10,1,0\n007,01,b,10,2,0\n" + GROUPS)
    t = read_counts_table(p, ["conv", "dismissed"], "a")
    assert t.n_groups == 4
    firsts = [(t.experiment[i], t.look[i]) for i in t.starts[:-1]]
    assert firsts == [("007", "01"), ("e1", "1"), ("e1", "2"), ("e2", "1")]  # text, leading zeros kept
    g = slice(t.starts[3], t.starts[4])
    assert list(t.variant[g]) == ["b", "a"] and list(t.users[g]) == [5000, 5000]
    assert list(t.successes["conv"][g]) == [520, 500]


def test_parquet_without_experiment_and_look(tmp_path):
    p = tmp_path / "c.parquet"
    pq.write_table(pa.table({"variant": ["a", "b"], "users": [100, 120], "conv": [10, 20]}), p)
    results = list(analyze_counts_file(p, CountsOptions.build("a", ["conv"])))
    assert len(results) == 1
    exp, look, res = results[0]
    assert exp is None and look is None and res.experiment == "c"
    assert res.assigned == {"a": 100, "b": 120}
    m = res.metrics[0]
    assert (m.comparison.successes, m.comparison.n, m.comparison.successes_control, m.comparison.n_control) == (20, 120, 10, 100)


def test_each_group_is_analysed_on_its_own(tmp_path):
    p = _csv(tmp_path, GROUPS)
    opts = CountsOptions.build("a", ["conv"], ["dismissed"], {"dismissed": 0.01})
    out = list(analyze_counts_file(p, opts))
    assert [(e, k) for e, k, _ in out] == [("e1", "1"), ("e1", "2"), ("e2", "1")]
    last = out[2][2]
    assert last.assigned == {"b": 5000, "a": 5000}
    conv = next(m for m in last.metrics if m.metric == "conv")
    assert conv.comparison.successes == 520 and conv.comparison.successes_control == 500
    guard = next(m for m in last.metrics if m.metric == "dismissed")
    assert guard.role == "guardrail" and guard.higher_is_better is False


def test_skip_leaves_groups_out(tmp_path):
    t = read_counts_table(_csv(tmp_path, GROUPS), ["conv"], "a")
    seen = [(e, k) for e, k, _ in analyze_counts_table(t, CountsOptions.build("a", ["conv"]),
                                                        skip=lambda e, k: e == "e1" and k == "2")]
    assert seen == [("e1", "1"), ("e2", "1")]


def test_guardrail_direction_and_margin_options():
    assert parse_guardrail("dismissed").higher_is_better is False
    assert parse_guardrail("retained:down").higher_is_better is True
    with pytest.raises(GuidelabError, match="NAME:down"):
        parse_guardrail("x:sideways")
    with pytest.raises(GuidelabError, match="not a --guardrail"):
        CountsOptions.build("a", ["conv"], ["dismissed"], {"conv": 0.01})
    with pytest.raises(GuidelabError, match="named twice"):
        CountsOptions.build("a", ["conv"], ["conv"])
    with pytest.raises(GuidelabError, match="fraction"):
        CountsOptions.build("a", ["conv"], ["dismissed"], {"dismissed": 5})


# --- validation -----------------------------------------------------------------------------

@pytest.mark.parametrize("body, column, words", [
    ("e,1,a,100,120,0\ne,1,b,100,1,0\n", "conv", ["line 2", "exceeds users", "120 > 100"]),
    ("e,1,a,100,10,0\ne,1,b,-5,1,0\n", "users", ["line 3", "negative"]),
    ("e,1,a,100,10.5,0\ne,1,b,100,1,0\n", "conv", ["line 2", "not a whole number", "10.5"]),
    ("e,1,a,100,ten,0\ne,1,b,100,1,0\n", "conv", ["line 2", "not a number", "ten"]),
    ("e,1,a,100,,0\ne,1,b,100,1,0\n", "conv", ["line 2", "empty"]),
    ("e,1,a,1e30,1,0\ne,1,b,100,1,0\n", "users", ["line 2", "too large"]),
    ("e,1,,100,1,0\ne,1,b,100,1,0\n", "variant", ["line 2", "empty"]),
    ("e,1,a,100,1,0\ne,1,b,100,1,0\ne,1,b,100,2,0\n", "variant", ["experiment 'e', look '1'", "'b' appears 2 times",
                                                                 "line 3 and line 4"]),
    ("e,1,a,100,1,0\ne,1,b,100,1,0\ne,2,b,100,1,0\ne,2,c,100,1,0\n", "variant", ["look '2'", "control 'a' is missing",
                                                                                 "b, c"]),
    ("e,1,a,100,1,0\n", "variant", ["only the control"]),
])
def test_validation_names_file_column_and_row(tmp_path, body, column, words):
    p = _csv(tmp_path, body)
    with pytest.raises(DataError) as info:
        read_counts_table(p, ["conv", "dismissed"], "a")
    msg = str(info.value)
    assert str(p) in msg and info.value.field == column
    for w in words:
        assert w in msg, msg


def test_validation_counts_every_bad_row_in_one_pass(tmp_path):
    p = _csv(tmp_path, "e,1,a,100,200,0\ne,1,b,100,300,0\ne,2,a,100,150,0\ne,2,b,100,1,0\n")
    with pytest.raises(DataError, match=r"line 2 and 2 more row\(s\)"):
        read_counts_table(p, ["conv"], "a")


def test_unknown_metric_column_and_missing_columns(tmp_path):
    p = _csv(tmp_path, GROUPS)
    with pytest.raises(DataError, match="unknown metric column.*conv, dismissed"):
        read_counts_table(p, ["clicks"], "a")
    q = _csv(tmp_path, "a,1\n", header="variant,conv\n", name="nousers.csv")
    with pytest.raises(DataError, match="users: column not found"):
        read_counts_table(q, ["conv"], "a")
    with pytest.raises(DataError, match="reserved"):
        read_counts_table(p, ["users"], "a")


def test_long_values_are_cut(tmp_path):
    long = "x" * 5000
    p = _csv(tmp_path, f"e,1,a,100,{long},0\ne,1,b,100,1,0\n")
    with pytest.raises(DataError) as info:
        read_counts_table(p, ["conv"], "a")
    assert len(str(info.value)) < 500 and "…" in str(info.value)


def test_weights_must_name_every_variant(tmp_path):
    p = _csv(tmp_path, GROUPS)
    with pytest.raises(GuidelabError, match="no share for variant"):
        list(analyze_counts_file(p, CountsOptions.build("a", ["conv"], weights={"a": 0.5})))


# --- the same answer as analyze on the user rows ------------------------------------------------

def _user_table(tmp_path, n=6000, seed=5):
    """A seeded one-row-per-user table with a 30/70 split, a primary and a guardrail."""
    rng = np.random.default_rng(seed)
    variant = np.where(rng.random(n) < 0.3, "ctrl", "new")
    conv = rng.random(n) < np.where(variant == "new", 0.14, 0.10)
    dis = rng.random(n) < 0.04
    p = tmp_path / "users.csv"
    lines = ["variant,conv,dismissed"] + [f"{v},{int(c)},{int(d)}" for v, c, d in zip(variant, conv, dis)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = tmp_path / "agg.csv"
    rows = ["variant,users,conv,dismissed"]
    for v in ("ctrl", "new"):
        sel = variant == v
        rows.append(f"{v},{sel.sum()},{conv[sel].sum()},{dis[sel].sum()}")
    counts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return p, counts


@pytest.mark.parametrize("extra", [[], ["--sequential"], ["--planned-users", "1500"]])
def test_analyze_counts_equals_analyze_on_the_user_rows(tmp_path, capsys, extra):
    users, counts = _user_table(tmp_path)
    common = ["--control", "ctrl", "--metric", "conv", "--guardrail", "dismissed", "--margin", "dismissed=0.02",
              "--weights", "ctrl=0.3,new=0.7", *extra]
    assert main(["analyze", str(users), "--variant", "variant", "--no-bayes", "--json", *common]) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(["analyze-counts", str(counts), "--jsonl", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    b = json.loads(lines[0])
    assert b["look"] is None and b["experiment"] == "agg"
    for key in ("decision", "metrics", "srm", "assigned", "control", "alpha", "mde", "methods"):
        assert a[key] == b[key], key
    assert set(a) - {"experiment"} <= set(b)
    assert a["decision"]["verdict"] in ("KEEP", "CONTINUE", "KILL")


def test_jsonl_one_object_per_group_with_analyze_json_shape(tmp_path, capsys):
    p = _csv(tmp_path, GROUPS)
    assert main(["analyze-counts", str(p), "--control", "a", "--metric", "conv", "--guardrail", "dismissed",
                 "--jsonl"]) == 0
    recs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(r["experiment"], r["look"]) for r in recs] == [("e1", "1"), ("e1", "2"), ("e2", "1")]
    opts = CountsOptions.build("a", ["conv"], ["dismissed"])
    expected = [json.loads(json.dumps(group_record(*g))) for g in analyze_counts_file(p, opts)]
    assert recs == expected
    for r in recs:
        assert {"decision", "metrics", "srm"} <= set(r)
        assert {"verdict", "reasons", "arms"} <= set(r["decision"])
        assert r["methods"]["srm_weights_assumed"] is True and r["methods"]["srm_weights"] == {"a": 0.5, "b": 0.5}


def test_json_needs_a_single_group(tmp_path, capsys):
    p = _csv(tmp_path, GROUPS)
    assert main(["analyze-counts", str(p), "--control", "a", "--metric", "conv", "--json"]) == 2
    assert "use --jsonl" in capsys.readouterr().err
    one = _csv(tmp_path, "e,1,a,100,10,1\ne,1,b,100,12,1\n", name="one.csv")
    assert main(["analyze-counts", str(one), "--control", "a", "--metric", "conv", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["experiment"] == "e" and doc["look"] == "1"


def test_text_output_per_group_says_the_assumed_split(tmp_path, capsys):
    p = _csv(tmp_path, GROUPS)
    assert main(["analyze-counts", str(p), "--control", "a", "--metric", "conv", "--guardrail", "dismissed"]) == 0
    out = capsys.readouterr().out
    assert "e1 look 1:" in out and "e1 look 2:" in out and "e2 look 1:" in out
    assert out.count("assumed equal split") == 3


def test_bad_counts_exit_2_without_traceback(tmp_path):
    p = _csv(tmp_path, "e,1,a,100,120,0\ne,1,b,100,1,0\n")
    proc = subprocess.run([sys.executable, "-m", "guidelab.cli", "analyze-counts", str(p), "--control", "a",
                           "--metric", "conv"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "exceeds users" in proc.stderr and "conv" in proc.stderr


# --- analyze: weights and the assumed split (issue 13, item 4) -----------------------------------

def test_analyze_says_the_split_it_assumed(tmp_path, capsys):
    users, _ = _user_table(tmp_path)  # planned 30/70
    assert main(["analyze", str(users), "--variant", "variant", "--control", "ctrl", "--metric", "conv",
                 "--no-bayes"]) == 0
    out = capsys.readouterr().out
    assert "INVESTIGATE" in out and "assumed equal split" in out and "--weights" in out
    assert main(["analyze", str(users), "--variant", "variant", "--control", "ctrl", "--metric", "conv",
                 "--no-bayes", "--weights", "ctrl=0.3,new=0.7", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["decision"]["verdict"] != "INVESTIGATE"
    assert doc["methods"]["srm_weights_assumed"] is False
    assert doc["methods"]["srm_weights"] == pytest.approx({"ctrl": 0.3, "new": 0.7})


def test_srm_reason_in_both_languages_names_the_assumed_split(tmp_path):
    from guidelab.analysis import analyze_user_table

    users, _ = _user_table(tmp_path)
    res = analyze_user_table(users, "variant", "ctrl", ["conv"])
    srm = next(r for r in res.decision.reasons if r.code == "srm")
    assert "assumed equal split" in reason_text(srm, "en") and "ctrl 50.0%" in reason_text(srm, "en")
    assert "均等" in reason_text(srm, "ja") and "--weights" in reason_text(srm, "ja")


def test_analyze_guardrail_and_margin(tmp_path, capsys):
    users, _ = _user_table(tmp_path)
    assert main(["analyze", str(users), "--variant", "variant", "--control", "ctrl", "--metric", "conv",
                 "--guardrail", "dismissed", "--margin", "dismissed=0.02", "--weights", "ctrl=0.3,new=0.7",
                 "--no-bayes", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    guard = [m for m in doc["metrics"] if m["metric"] == "dismissed"]
    assert guard and guard[0]["role"] == "guardrail" and guard[0]["higher_is_better"] is False
    assert doc["methods"]["guardrails"]["dismissed"]["margin"] == 0.02


def test_analyze_validates_every_metric_column_in_one_pass(tmp_path):
    from guidelab.analysis import analyze_user_table

    p = tmp_path / "u.csv"
    p.write_text("g,conv,other\na,1,0\nb,0,maybe\na,1,1\nb,0,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="other: 1 value.*'maybe'"):
        analyze_user_table(p, "g", "a", ["conv", "other"])


def test_parallel_gives_the_same_results_in_the_same_order(tmp_path):
    from guidelab.counts_table import analyze_counts_parallel

    rows = ["experiment,look,variant,users,conv"]
    rng = np.random.default_rng(2)
    for e in range(7):
        for v in ("a", "b"):
            n = int(rng.integers(50, 500))
            rows.append(f"x{e},1,{v},{n},{int(rng.integers(0, n))}")
    p = tmp_path / "many.csv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    t = read_counts_table(p, ["conv"], "a")
    opts = CountsOptions.build("a", ["conv"])
    serial = [json.dumps(group_record(*g)) for g in analyze_counts_table(t, opts)]
    parallel = [json.dumps(group_record(*g)) for g in analyze_counts_parallel(t, opts, jobs=2, chunk_groups=3)]
    assert parallel == serial and len(serial) == 7


def test_previous_look_of_the_same_experiment_is_passed_to_the_rule(tmp_path, monkeypatch):
    import guidelab.counts_table as ct

    seen = []
    real = ct.analyze_sufficient_counts

    def spy(experiment, assigned, counts, options, checks=(), ledger=None, previous_users=None, comparisons=None):
        seen.append((experiment, previous_users))
        return real(experiment, assigned, counts, options, checks, ledger, previous_users, comparisons)

    monkeypatch.setattr(ct, "analyze_sufficient_counts", spy)
    p = _csv(tmp_path, GROUPS)
    list(analyze_counts_file(p, CountsOptions.build("a", ["conv"])))
    assert seen == [("e1", None), ("e1", {"a": 1000, "b": 1010}), ("e2", None)]


def test_fixed_horizon_decides_once_at_the_first_look_with_the_planned_sample(tmp_path):
    # the planned sample (1,000 per arm) is reached at look 2; look 3 is judged on always-valid bounds
    body = ("e,1,a,500,100,0\ne,1,b,500,100,0\ne,2,a,1000,200,0\ne,2,b,1000,200,0\n"
            "e,3,a,1500,300,0\ne,3,b,1500,300,0\n")
    p = _csv(tmp_path, body)
    out = list(analyze_counts_file(p, CountsOptions.build("a", ["conv"], planned_users=1000)))
    one = _csv(tmp_path, "e,3,a,1500,300,0\ne,3,b,1500,300,0\n", name="alone.csv")
    alone = list(analyze_counts_file(one, CountsOptions.build("a", ["conv"], planned_users=1000)))
    look3 = out[2][2].decision.to_dict()
    assert look3 != alone[0][2].decision.to_dict()  # with its history, look 3 is not the decision look


# --- the bulk path gives the same JSON as the plain per-group path ------------------------------

def _random_counts_table(path, groups: int, seed: int):
    """Random groups of 2-3 variants with small, zero and full counts, 1-3 looks per experiment."""
    rng = np.random.default_rng(seed)
    rows = {k: [] for k in ("experiment", "look", "variant", "users", "conv", "sec", "dismissed")}
    sizes = np.array([0, 1, 2, 3, 5, 8, 20, 60, 400, 5000, 80000])
    for g in range(groups):
        variants = ["a", "b", "c"][: 2 + int(rng.random() < 0.3)]
        for v in variants:
            n = int(rng.choice(sizes)) if rng.random() < 0.7 else int(rng.integers(0, 100_000))
            n = 0 if g == 0 else n  # a group without users
            rows["experiment"].append(f"e{g // 3}")
            rows["look"].append(str(g % 3))
            rows["variant"].append(v)
            rows["users"].append(n)
            for col, p in (("conv", 0.1), ("sec", 0.5), ("dismissed", 0.03)):
                u = rng.random()
                rows[col].append(0 if u < 0.1 else n if u < 0.15 else int(rng.binomial(n, p * rng.uniform(0.5, 2))))
    pq.write_table(pa.table(rows), path)
    return path


def _reference_json_lines(table, opts, monkeypatch):
    """The plain path: one analyze_sufficient_counts call per group, with the speed-ups of the bulk
    path swapped for what they replaced (every comparison by the scalar compare_proportions instead
    of compare_proportions_many over blocks of groups, scipy.stats for the SRM p-value, z_power and
    the normal cdf of the sample-size plan, the general multiplicity adjustment), and each line
    serialised from the cleaned record (``to_dict``, every value walked) instead of the raw form."""
    from scipy.stats import chi2, norm

    import guidelab.analysis as analysis
    import guidelab.stats.power as power
    import guidelab.stats.srm as srm
    from guidelab.stats import multiplicity

    def adjust(p_values, method="holm"):
        core = {"holm": multiplicity._holm_array, "bh": multiplicity._bh_array, "none": lambda v: v}[method]
        idx, vals = multiplicity._split(p_values)
        out = [None] * len(p_values)
        if vals.size:
            full = np.ones(len(p_values))
            full[idx] = vals
            adjusted = core(full)
            for i in idx:
                out[i] = float(adjusted[i])
        return out

    import guidelab.counts_table as ct

    with monkeypatch.context() as m:
        m.setattr(ct._BlockComparisons, "get", lambda self, position: None)  # no precomputed comparisons
        m.setattr(srm, "chdtrc", lambda df, x: chi2.sf(x, df))
        m.setattr(power, "_z_power", lambda p: float(norm.ppf(p)))
        m.setattr(power, "ndtr", norm.cdf)
        m.setattr(analysis, "adjust", adjust)
        return [json.dumps(group_record(*g), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
                for g in analyze_counts_table(table, opts)]


@pytest.mark.parametrize("sequential", [False, True])
@pytest.mark.parametrize("weights,planned", [(None, None), ({"a": 0.5, "b": 0.3, "c": 0.2}, 300)])
def test_bulk_path_gives_the_same_json_as_the_plain_per_group_path(tmp_path, monkeypatch, sequential, weights,
                                                                  planned):
    from guidelab.counts_table import analyze_counts_parallel, group_json_line
    from guidelab.experiment import StatisticsSpec

    path = _random_counts_table(tmp_path / "random.parquet", 240, seed=11 + sequential)
    table = read_counts_table(path, ["conv", "sec", "dismissed"], "a")
    opts = CountsOptions.build("a", ["conv", "sec"], ["dismissed"], {"dismissed": 0.01}, weights,
                               planned_users=planned, statistics=StatisticsSpec(sequential=sequential, bayesian=False))
    reference = _reference_json_lines(table, opts, monkeypatch)
    bulk = list(analyze_counts_parallel(table, opts, jobs=2, chunk_groups=70, transform=group_json_line))
    serial = list(analyze_counts_parallel(table, opts, jobs=1, transform=group_json_line))
    assert len(reference) == table.n_groups == 240
    assert bulk == reference
    assert serial == reference
    parsed = [json.loads(line) for line in reference]
    assert {r["decision"]["verdict"] for r in parsed} >= {"CONTINUE"}
    assert any(r["srm"]["p_value"] is None for r in parsed)  # groups without users are in the sample
    assert any(m["status"] == "not_enough_data" for r in parsed for m in r["metrics"])
    assert any("Fisher exact" in (m["note"] or "") for r in parsed for m in r["metrics"])  # small counts


def test_analyze_counts_does_not_import_scipy_stats(tmp_path):
    """Start-up cost: `analyze-counts` on plain counts needs scipy.special only (scipy.stats and
    scipy.integrate take about a second to import; they load on first use)."""
    p = _csv(tmp_path, "e,1,a,1000,100,3\ne,1,b,1000,130,4\n")
    code = ("import sys\nfrom guidelab.cli import main\n"
            f"main(['analyze-counts', {str(p)!r}, '--control', 'a', '--metric', 'conv', '--jsonl'])\n"
            "print(sorted(m for m in ('scipy.stats', 'scipy.integrate', 'scipy.optimize') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert json.loads(out.splitlines()[0])["decision"]["verdict"] in ("KEEP", "KILL", "CONTINUE", "INVESTIGATE")
