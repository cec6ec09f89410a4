"""The assignment (launch) log: idempotent, append-only, atomic, and refuses to move users."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from guidelab import launchlog
from guidelab.abtest import assign, assign_batch
from guidelab.errors import GuidelabError
from guidelab.experiment import load_experiment
from guidelab.hashing import fnv1a64_utf8_batch
from guidelab.launchlog import (
    LOG_COLUMNS,
    ReassignmentError,
    append_assignments,
    assign_and_log,
    convert_log,
    default_log_path,
    read_log,
)

T1 = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.timezone.utc)
T2 = dt.datetime(2024, 5, 2, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))  # 09:00 UTC
IDS = ["0", "00123", "ユーザー123", "山田太郎", "user🎉42", ""] + [f"u-{i}" for i in range(400)] + \
      [f"利用者{i}" for i in range(100)]


def _log(spec, ids, path, now=T1):
    return append_assignments(spec, assign_batch(spec, ids), path, now)


def _rows(path):
    return read_log(path).to_pylist()


def _no_temp_files(path: Path) -> bool:
    folders = [path.parent] + ([path] if path.is_dir() else [])
    return not [p for f in folders for p in f.iterdir() if p.name.endswith(".tmp")]


def _content(path: Path):
    """The log's bytes: the file's, or each segment's of a log folder (by name)."""
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir())}
    return path.read_bytes()


@pytest.fixture(params=["folder", "csv", "parquet"])
def log_path(request, tmp_path) -> Path:
    if request.param == "folder":
        return tmp_path / "onboarding.assignment-log"
    return tmp_path / f"assignments.{request.param}"


def test_twice_is_idempotent(onboarding_spec, log_path):
    first = _log(onboarding_spec, IDS, log_path)
    content = _content(log_path)
    rows = _rows(log_path)
    in_exp = sum(assign(onboarding_spec, u).variant is not None for u in IDS)
    assert first.added == len(rows) == in_exp and first.already_logged == 0 and first.moved_refused == 0
    assert first.excluded == len(IDS) - in_exp  # the empty id is never in the experiment
    second = _log(onboarding_spec, IDS, log_path, now=T2)
    assert second.added == 0 and second.already_logged == in_exp
    assert _content(log_path) == content
    keys = [(r["experiment"], r["user_id"], r["seed"], r["version"]) for r in _rows(log_path)]
    assert len(keys) == len(set(keys))
    assert list(read_log(log_path).column_names) == list(LOG_COLUMNS)
    assert {r["assigned_at"] for r in rows} == {"2024-05-01T09:30:00+00:00"}
    assert _no_temp_files(log_path)


def test_duplicate_ids_in_input_logged_once(onboarding_spec, log_path):
    res = _log(onboarding_spec, ["a", "b", "a", "a"], log_path)
    ids = [r["user_id"] for r in _rows(log_path)]
    assert sorted(ids) == ["a", "b"] and res.added == 2


def test_new_users_appended_old_keep_assigned_at(onboarding_spec, log_path):
    _log(onboarding_spec, IDS[:200], log_path)
    before = _rows(log_path)
    res = _log(onboarding_spec, IDS[100:], log_path, now=T2)
    after = _rows(log_path)
    assert after[: len(before)] == before
    assert res.already_logged == len(before) - sum(assign(onboarding_spec, u).variant is not None for u in IDS[:100])
    new = after[len(before):]
    assert len(new) == res.added > 0
    assert {r["assigned_at"] for r in new} == {"2024-05-02T09:00:00+00:00"}
    assert {r["user_id"] for r in after} == {u for u in IDS if assign(onboarding_spec, u).variant is not None}
    for r in after:
        a = assign(onboarding_spec, r["user_id"])
        assert (r["variant"], r["hash_value"], r["seed"], r["version"]) == (
            a.variant, a.hash_value, onboarding_spec.hash_seed, 1)


def test_csv_log_appends_bytes(onboarding_spec, tmp_path):
    path = tmp_path / "log.csv"
    _log(onboarding_spec, IDS[:50], path)
    old = path.read_bytes()
    _log(onboarding_spec, IDS, path, now=T2)
    assert path.read_bytes().startswith(old)


def test_weights_change_refused_log_unchanged(onboarding_spec, log_path):
    _log(onboarding_spec, IDS, log_path)
    content = _content(log_path)
    v = onboarding_spec.variants
    reweighted = onboarding_spec.model_copy(update={"variants": [
        v[0].model_copy(update={"weight": 0.5}), v[1].model_copy(update={"weight": 0.25}),
        v[2].model_copy(update={"weight": 0.25})]})
    expected_moves = sum(assign(onboarding_spec, u).variant != assign(reweighted, u).variant for u in IDS)
    assert expected_moves > 0
    with pytest.raises(ReassignmentError) as err:
        _log(reweighted, IDS + ["brand-new-user"], log_path, now=T2)
    msg = str(err.value)
    assert isinstance(err.value, GuidelabError)
    assert f"{expected_moves:,} user(s)" in msg and "version" in msg and "seed" in msg and "bump" in msg
    assert " -> " in msg  # examples of moves
    assert err.value.result.moved_refused == expected_moves and err.value.examples
    assert _content(log_path) == content
    assert _no_temp_files(log_path)


def test_bumped_version_starts_new_assignment(onboarding_spec, log_path):
    _log(onboarding_spec, IDS, log_path)
    old_rows = _rows(log_path)
    v = onboarding_spec.variants
    v2 = onboarding_spec.model_copy(update={"version": 2, "variants": [
        v[0].model_copy(update={"weight": 0.5}), v[1].model_copy(update={"weight": 0.25}),
        v[2].model_copy(update={"weight": 0.25})]})
    res = _log(v2, IDS, log_path, now=T2)
    rows = _rows(log_path)
    assert rows[: len(old_rows)] == old_rows
    new = rows[len(old_rows):]
    assert res.added == len(new) > 0 and {r["version"] for r in new} == {2}
    assert {(r["user_id"], r["variant"]) for r in new} == {(u, assign(v2, u).variant) for u in IDS
                                                          if assign(v2, u).variant is not None}
    # a new seed starts a new assignment too
    reseeded = v2.model_copy(update={"seed": "relaunch"})
    assert _log(reseeded, IDS, log_path).added > 0


def test_coverage_raised_is_not_a_move(onboarding_spec, log_path):
    half = onboarding_spec.model_copy(update={"coverage": 0.5})
    first = _log(half, IDS, log_path)
    before = {r["user_id"]: r for r in _rows(log_path)}
    assert 0 < len(before) < len(IDS) - 1
    full = onboarding_spec.model_copy(update={"coverage": 1.0})
    res = _log(full, IDS, log_path, now=T2)
    after = {r["user_id"]: r for r in _rows(log_path)}
    assert res.already_logged == first.added and res.added == len(after) - len(before) > 0
    for uid, r in after.items():
        assert r["variant"] == assign(full, uid).variant
        if uid in before:  # included users keep their arm and their original time
            assert r == before[uid] and before[uid]["variant"] == assign(half, uid).variant
        else:  # previously excluded, now logged
            assert assign(half, uid).variant is None and r["assigned_at"] == "2024-05-02T09:00:00+00:00"


def test_coverage_lowered_is_a_move(onboarding_spec, log_path):
    _log(onboarding_spec, IDS, log_path)
    content = _content(log_path)
    with pytest.raises(ReassignmentError, match=r"\(not in the experiment\)"):
        _log(onboarding_spec.model_copy(update={"coverage": 0.5}), IDS, log_path)
    assert _content(log_path) == content


@pytest.mark.parametrize("writer", ["_write_rows", "_write_parquet", "_write_segment_rows"])
def test_crash_mid_write_keeps_old_log(onboarding_spec, tmp_path, monkeypatch, writer):
    path = tmp_path / {"_write_rows": "log.csv", "_write_parquet": "log.parquet", "_write_segment_rows": "log"}[writer]
    _log(onboarding_spec, IDS[:100], path)
    content = _content(path)

    def crash(fh, *args, **kw):
        fh.write(b"half a row,")
        raise OSError("disk full")

    monkeypatch.setattr(launchlog, writer, crash)
    with pytest.raises(OSError, match="disk full"):
        _log(onboarding_spec, IDS, path, now=T2)
    assert _content(path) == content
    assert _no_temp_files(path)
    monkeypatch.undo()
    assert _log(onboarding_spec, IDS, path, now=T2).added > 0  # and the next run works


def test_crash_on_first_write_leaves_no_log(onboarding_spec, tmp_path, monkeypatch):
    path = tmp_path / "log.csv"
    monkeypatch.setattr(launchlog, "_write_rows", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        _log(onboarding_spec, IDS, path)
    assert not path.exists() and _no_temp_files(path)
    folder = tmp_path / "log"
    monkeypatch.setattr(launchlog, "_write_segment_rows", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        _log(onboarding_spec, IDS, folder)
    assert list(folder.iterdir()) == [] and read_log(folder).num_rows == 0


def test_japanese_ids_round_trip(onboarding_spec, log_path):
    ids = ["ユーザー123", "山田太郎", "利用者,カンマ", 'quote"d', "user🎉42", "00123", " spaced "]
    _log(onboarding_spec, ids, log_path)
    logged = {r["user_id"]: r["variant"] for r in _rows(log_path)}
    assert logged == {u: assign(onboarding_spec, u).variant for u in ids if assign(onboarding_spec, u).variant}
    content = _content(log_path)
    assert _log(onboarding_spec, ids, log_path, now=T2).added == 0
    assert _content(log_path) == content


@pytest.mark.parametrize("name", ["log.csv", "log"])
def test_concurrent_runs_lose_nothing(onboarding_spec, tmp_path, name):
    path = tmp_path / name
    chunks = [IDS[i::4] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda c: _log(onboarding_spec, c, path), chunks))  # re-raises any error
    assert sum(r.added for r in results) == len(_rows(path))
    ids = [r["user_id"] for r in _rows(path)]
    assert len(ids) == len(set(ids)) == sum(assign(onboarding_spec, u).variant is not None for u in IDS)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no lock or temporary file left
    if path.is_dir():  # one segment per run that added rows
        assert sorted(p.name for p in path.iterdir()) == [f"part-{i:06d}.parquet" for i in range(1, 5)]


def test_other_experiments_rows_untouched(onboarding_spec, banner_spec, tmp_path):
    path = tmp_path / "log.csv"
    _log(onboarding_spec, IDS, path)
    n = len(_rows(path))
    res = _log(banner_spec, IDS, path)
    assert res.already_logged == 0 and len(_rows(path)) == n + res.added


def test_bad_inputs(onboarding_spec, banner_spec, tmp_path):
    with pytest.raises(GuidelabError, match="csv or .parquet"):
        _log(onboarding_spec, IDS, tmp_path / "log.json")
    (tmp_path / "not-a-log").mkdir()
    (tmp_path / "not-a-log" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(GuidelabError, match="not an assignment log folder: 'notes.txt'"):
        _log(onboarding_spec, IDS, tmp_path / "not-a-log")
    assert sorted(p.name for p in (tmp_path / "not-a-log").iterdir()) == ["notes.txt"]
    with pytest.raises(ValueError, match="timezone-aware"):
        _log(onboarding_spec, IDS, tmp_path / "log.csv", now=dt.datetime(2024, 5, 1))
    with pytest.raises(ValueError, match="not 'onboarding"):
        append_assignments(onboarding_spec, assign_batch(banner_spec, IDS), tmp_path / "log.csv")
    other = tmp_path / "other.csv"
    other.write_text("user_id,variant\na,b\n", encoding="utf-8")
    with pytest.raises(GuidelabError, match="not an assignment log"):
        _log(onboarding_spec, IDS, other)
    assert other.read_text(encoding="utf-8") == "user_id,variant\na,b\n"


def test_assign_and_log(root, tmp_path):
    spec_path = root / "experiments" / "onboarding-tour-vs-checklist.yaml"
    users = tmp_path / "users.csv"
    users.write_text("user_id\n" + "\n".join(u for u in IDS if u) + "\n", encoding="utf-8")
    out, log = tmp_path / "out.parquet", tmp_path / "log.csv"
    line = assign_and_log(spec_path, users, out, log, now=T1)
    from guidelab.programme import programme_for_spec

    programme = programme_for_spec(spec_path)  # declared beside the spec: its holdout users are not logged
    n_in = sum(assign(load_experiment(spec_path), u, programme=programme).variant is not None for u in IDS if u)
    assert 0 < n_in < len(IDS) - 1
    assert line.startswith(f"assigned {len(IDS) - 1:,} users of onboarding-tour-vs-checklist -> ")
    assert f"{n_in:,} added, 0 already logged" in line
    assert out.exists() and len(_rows(log)) == n_in
    line2 = assign_and_log(str(spec_path), str(users), str(out), str(log), now=T2)
    assert f"0 added, {n_in:,} already logged" in line2
    # without a log it only assigns
    out2 = tmp_path / "plain.csv"
    assert "; log " not in assign_and_log(spec_path, users, out2, None)
    assert out2.exists()


def test_assign_and_log_refusal_writes_nothing(root, tmp_path):
    import yaml

    spec_path = root / "experiments" / "onboarding-tour-vs-checklist.yaml"
    users = tmp_path / "users.csv"
    users.write_text("user_id\n" + "\n".join(f"u-{i}" for i in range(300)) + "\n", encoding="utf-8")
    log = tmp_path / "log.csv"
    assign_and_log(spec_path, users, tmp_path / "a.csv", log)
    content = log.read_bytes()
    data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    data["coverage"] = 0.3
    moved = tmp_path / "spec" / spec_path.name
    moved.parent.mkdir()
    moved.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReassignmentError):
        assign_and_log(moved, users, tmp_path / "b.csv", log)
    assert log.read_bytes() == content and not (tmp_path / "b.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []  # nor a half output


def test_many_duplicates_logged_once_by_first_occurrence(onboarding_spec, log_path):
    """Duplicates found by hashing: every id once, in the order of its first occurrence."""
    ids = [f"d{i % 97}" for i in range(1000)] + IDS
    res = _log(onboarding_spec, ids, log_path)
    firsts = list(dict.fromkeys(ids))
    expected = [u for u in firsts if assign(onboarding_spec, u).variant is not None]
    assert [r["user_id"] for r in _rows(log_path)] == expected
    assert res.added == len(expected) and res.excluded == len(firsts) - len(expected)
    column = assign_batch(onboarding_spec, IDS).column("user_id")
    assert launchlog._later_duplicates(column, fnv1a64_utf8_batch(column)) is None


def test_csv_written_in_batches_is_the_bytes_of_one_write(onboarding_spec, tmp_path, monkeypatch):
    import pyarrow.csv as pacsv

    path = tmp_path / "log.csv"
    monkeypatch.setattr(launchlog.NewRows, "batch_rows", 7)
    _log(onboarding_spec, IDS, path)
    table = read_log(path)
    assert table.num_rows > 70
    whole = tmp_path / "whole.csv"
    pacsv.write_csv(table, whole)
    assert path.read_bytes() == whole.read_bytes()


def test_folder_adds_one_segment_per_run_and_never_rewrites(onboarding_spec, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "x.assignment-log"
    first = _log(onboarding_spec, IDS[:50], folder)
    part1 = folder / "part-000001.parquet"
    old = part1.read_bytes()
    second = _log(onboarding_spec, IDS, folder, now=T2)
    assert sorted(p.name for p in folder.iterdir()) == ["part-000001.parquet", "part-000002.parquet"]
    assert part1.read_bytes() == old  # the first run's bytes untouched
    assert _log(onboarding_spec, IDS, folder, now=T2).added == 0  # nothing new: no empty segment
    assert len(list(folder.iterdir())) == 2
    seg = pq.read_table(folder / "part-000002.parquet")
    assert seg.num_rows == second.added and first.added + second.added == read_log(folder).num_rows
    for name in ("experiment", "variant", "seed", "assigned_at"):  # the repeated columns: dictionaries
        assert pa.types.is_dictionary(seg.schema.field(name).type)
    assert seg.column("assigned_at").unique().to_pylist() == ["2024-05-02T09:00:00+00:00"]
    # values equal to what a CSV log holds for the same runs
    csv = tmp_path / "same.csv"
    _log(onboarding_spec, IDS[:50], csv)
    _log(onboarding_spec, IDS, csv, now=T2)
    assert read_log(folder).equals(read_log(csv))
    # a temporary file of an interrupted run is skipped by readers
    (folder / ".part-000003.abc.tmp").write_bytes(b"half")
    assert read_log(folder).num_rows == first.added + second.added


def _shuffled(ids, seed):
    import random

    out = list(ids)
    random.Random(seed).shuffle(out)
    return out


@pytest.mark.parametrize("collide", [False, True])
def test_rerun_in_another_order_matches_exactly(onboarding_spec, tmp_path, monkeypatch, collide):
    """The re-run check does not rely on order (keys sorted and merged), and a key collision never
    merges two users: with keys forced to 7 values, every result is the same."""
    import numpy as np

    if collide:
        real = launchlog.fnv1a64_utf8_batch
        monkeypatch.setattr(launchlog, "fnv1a64_utf8_batch", lambda ids: real(ids) % np.uint64(7))
    for path in (tmp_path / f"log{collide}", tmp_path / f"log{collide}.csv"):
        first = _log(onboarding_spec, _shuffled(IDS[:300], 1), path)
        res = _log(onboarding_spec, _shuffled(IDS, 2) + IDS[:20], path, now=T2)  # duplicates too
        in_exp = {u for u in IDS if assign(onboarding_spec, u).variant is not None}
        assert res.already_logged == first.added == len(in_exp & set(IDS[:300]))
        assert res.added == len(in_exp - set(IDS[:300]))
        rows = _rows(path)
        assert sorted(r["user_id"] for r in rows) == sorted(in_exp)
        v = onboarding_spec.variants
        reweighted = onboarding_spec.model_copy(update={"variants": [
            v[0].model_copy(update={"weight": 0.5}), v[1].model_copy(update={"weight": 0.25}),
            v[2].model_copy(update={"weight": 0.25})]})
        ids = _shuffled(IDS, 3)
        moves = [u for u in ids if u in in_exp and assign(onboarding_spec, u).variant != assign(reweighted, u).variant]
        with pytest.raises(ReassignmentError) as err:
            _log(reweighted, ids, path)
        assert err.value.result.moved_refused == len(moves)
        assert [e[0] for e in err.value.examples] == moves[:5]  # the first moves in input order
        assert [(e[1], e[2]) for e in err.value.examples] == [
            (assign(onboarding_spec, u).variant, assign(reweighted, u).variant) for u in moves[:5]]


def test_convert_csv_log_to_folder(onboarding_spec, tmp_path):
    csv = tmp_path / "exp.assignment-log.csv"
    _log(onboarding_spec, IDS[:200], csv)
    _log(onboarding_spec.model_copy(update={"version": 2}), IDS[100:], csv, now=T2)
    before = csv.read_bytes()
    line = convert_log(csv)
    folder = tmp_path / "exp.assignment-log"
    assert str(folder) in line and f"{len(_rows(csv)):,} rows" in line
    assert csv.read_bytes() == before  # the source is kept as it is
    assert read_log(folder).equals(read_log(csv))
    assert _log(onboarding_spec, IDS[:200], folder).added == 0  # the converted rows count as logged
    with pytest.raises(GuidelabError, match="already holds segments"):
        convert_log(csv, folder)
    with pytest.raises(GuidelabError, match="log folder"):
        convert_log(csv, tmp_path / "x.parquet")


def test_default_log_path_keeps_an_existing_csv_log(tmp_path):
    out = tmp_path / "assigned.parquet"
    assert default_log_path(out, "exp") == tmp_path / "exp.assignment-log"
    (tmp_path / "exp.assignment-log.csv").write_text("user_id\n", encoding="utf-8")
    assert default_log_path(out, "exp") == tmp_path / "exp.assignment-log.csv"  # never split one log in two
    (tmp_path / "exp.assignment-log").mkdir()
    assert default_log_path(out, "exp") == tmp_path / "exp.assignment-log"  # once converted, the folder


def test_convert_keeps_any_number_of_runs(onboarding_spec, tmp_path):
    """A CSV log of many runs (200 distinct times, two experiments) converts value for value."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rows = read_log(tmp_path / "none.csv").to_pylist()
    for i in range(400):
        a = assign(onboarding_spec, f"u{i}")
        rows.append({"user_id": f"u{i}", "experiment": onboarding_spec.id if i % 2 else "other", "variant": a.variant or "x",
                     "hash_value": a.hash_value, "seed": "s", "version": 1 + i % 3,
                     "assigned_at": f"2024-05-01T09:{i // 60 % 60:02d}:{i % 60:02d}+00:00"})
    csv = tmp_path / "many.csv"
    pacsv.write_csv(pa.Table.from_pylist(rows, schema=launchlog.LOG_SCHEMA), csv)
    convert_log(csv, tmp_path / "many")
    assert read_log(tmp_path / "many").equals(read_log(csv))


def test_precomputed_user_keys_give_the_same_log(onboarding_spec, tmp_path):
    """assign_and_log passes the ids' keys computed while assigning; the log is the same as without."""
    ids = IDS + IDS[:50]  # duplicates: the later ones are not logged twice
    table = assign_batch(onboarding_spec, ids)
    keys = launchlog.id_keys(table.column("user_id"))
    assert keys.later is not None and int(keys.later.sum()) == 50
    a = append_assignments(onboarding_spec, table, tmp_path / "a", T1, user_keys=keys)
    b = append_assignments(onboarding_spec, table, tmp_path / "b", T1)
    assert a.added == b.added and read_log(tmp_path / "a").equals(read_log(tmp_path / "b"))
    with pytest.raises(ValueError, match="user_keys"):
        append_assignments(onboarding_spec, table, tmp_path / "c", T1, user_keys=launchlog.id_keys(table.column("user_id")[:10]))


def test_read_ahead_keeps_order_and_errors():
    assert list(launchlog._read_ahead(iter(range(5)))) == list(range(5))
    assert list(launchlog._read_ahead([])) == []

    def failing():
        yield 1
        raise OSError("disk")

    got = []
    with pytest.raises(OSError, match="disk"):
        for item in launchlog._read_ahead(failing()):
            got.append(item)
    assert got == [1]
