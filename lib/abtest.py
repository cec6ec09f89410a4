"""A/B assignment (GrowthBook hash v2) and the comparison front door.

``assign(spec, user_id)`` decides one user's variant; ``assign_batch(spec, ids)`` does the same
for a column of ids, vectorised, with identical results. ``analyze(spec, data_dir)`` runs the
whole chain: events -> metrics (SQL) -> sufficient statistics -> tests -> verdict.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .experiment import ExperimentSpec
from .hashing import (
    bucket_ranges,
    choose_variation,
    empty_rows,
    hash_v2,
    hash_v2_buckets,
    in_namespace,
    in_namespace_batch,
    variation_table,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    from .programme import ProgrammeSpec
    from .results import ExperimentResult


@dataclass(frozen=True)
class Assignment:
    """One user's assignment: ``variant`` is None when the user falls outside the coverage."""

    user_id: str
    experiment: str
    variant: str | None
    hash_value: float

    @property
    def in_experiment(self) -> bool:
        return self.variant is not None


def _ranges(spec: ExperimentSpec) -> list[tuple[float, float]]:
    return bucket_ranges(len(spec.variants), spec.coverage, [v.weight for v in spec.variants])


def _unit_value(spec: ExperimentSpec, user_id: str, unit_id: str | None) -> str:
    """The value hashed: the user id, or the unit attribute's value (``""`` when it is missing)."""
    if not spec.clustered:
        if unit_id is not None:
            raise ValueError(f"{spec.id} is randomised by user: unit_id is only for a spec with a unit attribute")
        return user_id
    if unit_id is not None and not isinstance(unit_id, str):
        raise TypeError(f"unit_id ({spec.unit}) must be a str or None, got {type(unit_id).__name__}")
    return unit_id or ""


def _programme_value(spec: ExperimentSpec, programme: "ProgrammeSpec", user_id: str, unit_id: str | None,
                     programme_unit_id: str | None) -> str:
    """The value the programme holdout hashes for one user (see :func:`assign`)."""
    from .programme import holdout_value

    if not programme.clustered:
        return user_id
    return holdout_value(programme, user_id, unit_id if programme.unit == spec.unit else programme_unit_id)


def assign(spec: ExperimentSpec, user_id: str, unit_id: str | None = None,
           programme: "ProgrammeSpec | None" = None, programme_unit_id: str | None = None) -> Assignment:
    """Assign one user exactly as a GrowthBook SDK would (hash v2 of seed + id, bucket ranges).

    With ``unit: user`` the user id is hashed; with an attribute unit (``unit: account_id``)
    ``unit_id``, the user's value of that attribute, is hashed instead (GrowthBook's
    ``hashAttribute``), so every user of an account gets the same arm. As in the SDK, an empty
    hashed value (a user without the attribute) is never in the experiment, nor is a unit outside
    the spec's namespace range (GrowthBook ``Experiment(namespace=(id, start, end))``: hash v1 of
    the hashed value under ``"__" + namespace id``). ``hash_value`` is the hash v2 bucket in every case.

    With a ``programme`` whose holdout applies to the spec (:mod:`guidelab.programme`), a user in
    the programme holdout is not in the experiment either (the export's ``filters`` entry; the
    programme holdout hashes the user id, whatever the spec's unit).
    """
    if not isinstance(user_id, str):
        raise TypeError(f"user_id must be a str, got {type(user_id).__name__}")
    value = _unit_value(spec, user_id, unit_id)
    n = hash_v2(spec.hash_seed, value)
    idx = choose_variation(n, _ranges(spec)) if value != "" else -1  # GrowthBook never enrolls an empty id
    ns = spec.namespace
    if idx >= 0 and ns is not None and not in_namespace(value, ns.id, ns.range[0], ns.range[1]):
        idx = -1  # outside the namespace range: not in the experiment
    if idx >= 0 and programme is not None and programme.applies_to(spec):
        held_value = _programme_value(spec, programme, user_id, unit_id, programme_unit_id)
        if held_value == "" or hash_v2(programme.holdout.seed, held_value) < programme.holdout.share:
            idx = -1  # in the programme holdout (or no value to hash): no guide of any experiment
    return Assignment(user_id, spec.id, spec.variants[idx].key if idx >= 0 else None, n)


def _as_string_column(values: Any) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    return pa.array(list(values) if not isinstance(values, np.ndarray) else values, type=pa.string())


def assign_batch(spec: ExperimentSpec, user_ids: Sequence[str] | np.ndarray | pa.Array | pa.ChunkedArray,
                 unit_ids: Sequence[str | None] | np.ndarray | pa.Array | pa.ChunkedArray | None = None,
                 programme: "ProgrammeSpec | None" = None,
                 programme_unit_ids: Sequence[str | None] | np.ndarray | pa.Array | pa.ChunkedArray | None = None
                 ) -> pa.Table:
    """Vectorised :func:`assign` for a column of ids: a table user_id, experiment, variant, hash_value
    (and the unit attribute's column, e.g. ``account_id``, when the spec has an attribute unit).

    ``unit_ids``: one value of the unit attribute per user (required with an attribute unit; a
    null or empty value leaves the user out of the experiment). ``variant`` is null for users
    outside the coverage or the namespace range. Identical to the scalar path.
    With a ``programme`` whose holdout applies to the spec, holdout users get a null variant too,
    and the table gains a boolean column ``programme_holdout`` (every user in the holdout, so they
    are recorded as such). With a programme randomised by an attribute (``unit: account_id``) the
    holdout hashes each user's value of it: ``unit_ids`` when the spec has the same unit, else
    ``programme_unit_ids`` (required then; a null or empty value: the user is in no experiment,
    and ``programme_holdout`` is true, as the SDK filters them out); the table then also gains the
    programme's unit column when the spec's unit differs.
    """
    return assign_batch_indexed(spec, user_ids, unit_ids, programme, programme_unit_ids)[0]


def assign_batch_indexed(spec: ExperimentSpec, user_ids: Sequence[str] | np.ndarray | pa.Array | pa.ChunkedArray,
                         unit_ids: Sequence[str | None] | np.ndarray | pa.Array | pa.ChunkedArray | None = None,
                         programme: "ProgrammeSpec | None" = None,
                         programme_unit_ids: Sequence[str | None] | np.ndarray | pa.Array | pa.ChunkedArray | None = None
                         ) -> tuple[pa.Table, np.ndarray]:
    """:func:`assign_batch`, and each row's variant as its index in ``spec.variants`` (int8, or int16
    beyond 126 variants; -1: not in the experiment), which the assignment log uses instead of
    comparing strings."""
    ids = _as_string_column(user_ids)
    if spec.clustered:
        if unit_ids is None:
            raise ValueError(f"{spec.id} is randomised by {spec.unit}: give each user's {spec.unit} (unit_ids)")
        units = _as_string_column(unit_ids)
        if len(units) != len(ids):
            raise ValueError(f"unit_ids: {len(units):,} values for {len(ids):,} users")
        hashed = pc.fill_null(units, "")
    else:
        if unit_ids is not None:
            raise ValueError(f"{spec.id} is randomised by user: unit_ids is only for a spec with a unit attribute")
        hashed = ids
    held_values: Any = None
    if programme is not None and programme.applies_to(spec):
        if not programme.clustered:
            held_values = ids
        elif programme.unit == spec.unit:
            held_values = _as_string_column(unit_ids)
        else:
            if programme_unit_ids is None:
                raise ValueError(f"programme {programme.id} holds out by {programme.unit}: give each user's "
                                 f"{programme.unit} (programme_unit_ids)")
            held_values = _as_string_column(programme_unit_ids)
            if len(held_values) != len(ids):
                raise ValueError(f"programme_unit_ids: {len(held_values):,} values for {len(ids):,} users")
    # When the holdout hashes the same values as the experiment (both by user id, or both by the
    # same unit attribute), one pass over them gives the buckets of both seeds.
    same_values = programme is not None and held_values is not None and (
        programme.unit == spec.unit if spec.clustered else not programme.clustered)
    seeds = [spec.hash_seed] + ([programme.holdout.seed] if programme is not None and same_values else [])
    buckets = hash_v2_buckets(seeds, hashed)
    code_type = np.int8 if len(spec.variants) < 127 else np.int16
    idx = variation_table(_ranges(spec)).astype(code_type)[buckets[0]]
    empty = empty_rows(hashed)
    if empty is not None:
        idx[empty] = -1  # GrowthBook never enrolls an empty id
    ns = spec.namespace
    if ns is not None:  # outside the namespace range: not in the experiment
        idx[~in_namespace_batch(hashed, ns.id, ns.range[0], ns.range[1])] = -1
    held: np.ndarray | None = None
    if held_values is not None and programme is not None:
        from .programme import in_holdout_batch

        # a missing value counts as held out (filtered)
        held = in_holdout_batch(programme, held_values, buckets=buckets[1] if same_values else None)
        idx[held] = -1  # in the programme holdout: no guide of any experiment
    hashes = buckets[0] / 10_000.0  # hash_v2 exactly (hash_v2_buckets)
    del buckets
    codes = idx
    # the variant as text: a dictionary whose last value is null (-1, not in the experiment, is that
    # index modulo len + 1), decoded by Arrow; no validity mask is built
    keys = pa.array([*spec.variant_keys, None], type=pa.string())
    indices = pa.array(np.remainder(codes, len(keys), dtype=codes.dtype))
    variant = pa.DictionaryArray.from_arrays(indices, keys).cast(pa.string())
    n = len(hashes)
    columns: dict[str, Any] = {
        "user_id": ids if isinstance(ids, pa.ChunkedArray) else pa.chunked_array([ids]),
        "experiment": _constant_column(spec.id, n),
        "variant": variant,
        "hash_value": pa.array(hashes, type=pa.float64()),
    }
    if spec.clustered:
        units = _as_string_column(unit_ids).cast(pa.string())
        columns[spec.unit] = units if isinstance(units, pa.ChunkedArray) else pa.chunked_array([units])
    if held is not None:
        if programme is not None and programme.clustered and programme.unit != spec.unit:
            values = _as_string_column(programme_unit_ids).cast(pa.string())
            columns[programme.unit] = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
        columns["programme_holdout"] = pa.array(held, type=pa.bool_())
    return pa.table(columns), codes


def _constant_column(value: str, n: int, chunk_rows: int = 1 << 20) -> pa.ChunkedArray:
    """``n`` copies of ``value`` as a string column whose chunks are slices of one buffer of at most
    ``chunk_rows`` copies (10M copies of a 28-character id held 280 MB; the values are the same)."""
    block = pa.repeat(pa.scalar(value, pa.string()), min(n, chunk_rows))
    return pa.chunked_array([block.slice(0, min(chunk_rows, n - start)) for start in range(0, n, chunk_rows)],
                            type=pa.string())


def read_assignment_input(spec: ExperimentSpec, path: str | Path, column: str = "user_id",
                          ids_read: "Future[pa.ChunkedArray] | None" = None) -> tuple[Any, Any]:
    """(user ids, unit values or None) from a users file for :func:`assign_batch`: with an attribute
    unit the file must have that column (e.g. ``account_id``); an empty value is allowed (that
    user is not in the experiment). ``ids_read``: ``read_user_ids(path, column)`` already started
    (:func:`guidelab.ids.start_reading_user_ids`); its result, or its error, is taken here."""
    from .errors import DataError
    from .ids import read_user_ids

    ids = ids_read.result() if ids_read is not None else read_user_ids(Path(path), column)
    if not spec.clustered:
        return ids, None
    try:
        return ids, read_user_ids(Path(path), spec.unit, allow_null=True)
    except DataError as exc:
        raise DataError(Path(path), spec.unit, f"{spec.id} is randomised by {spec.unit}: the users file needs the column "
                                               f"{spec.unit} ({exc.message})"
                        ) from None


def read_programme_units(spec: ExperimentSpec, programme: "ProgrammeSpec | None", path: str | Path) -> Any:
    """The programme's unit values from a users file for :func:`assign_batch` (``programme_unit_ids``):
    None unless the programme holds out by an attribute other than the spec's unit; then the file
    must have that column (e.g. ``account_id``; an empty value: the user sees no guide)."""
    from .errors import DataError
    from .ids import read_user_ids

    if programme is None or not programme.clustered or programme.unit == spec.unit or not programme.applies_to(spec):
        return None
    try:
        return read_user_ids(Path(path), programme.unit, allow_null=True)
    except DataError as exc:
        raise DataError(Path(path), programme.unit, f"programme {programme.id} holds out by {programme.unit}: the "
                                                    f"users file needs the column {programme.unit} ({exc.message})"
                        ) from None


def analyze(spec: ExperimentSpec | str | Path, data_dir: str | Path, as_of: dt.date | str | None = None,
            encoding: str | None = None, engine: Any = None) -> "ExperimentResult":
    """Run events -> metrics -> statistics -> verdict for one experiment; see :mod:`guidelab.analysis`.

    ``spec``: an :class:`~guidelab.experiment.ExperimentSpec` or the path of its YAML file;
    ``data_dir``: the tables of the data contract (``data/README.md``); ``as_of``: the last day of
    data to use (a date or ``YYYY-MM-DD``; default: the last complete day in the data);
    ``encoding``: of the CSV files (default: detected, UTF-8 or CP932); ``engine``: an
    :class:`guidelab.engine.EngineOptions` (default DuckDB).
    """
    from .analysis import analyze_experiment
    from .experiment import load_experiment

    if not isinstance(spec, ExperimentSpec):
        spec = load_experiment(spec)
    day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) and as_of else (as_of or None)
    return analyze_experiment(spec, data_dir, day, encoding=encoding, engine=engine)  # type: ignore[arg-type]


def analyze_table(path: str | Path, variant_column: str, control: str, metrics: list[str], **kw: Any):
    """Analyse a one-row-per-user table (booleans per metric); see :mod:`guidelab.analysis`."""
    from .analysis import analyze_user_table

    return analyze_user_table(path, variant_column, control, metrics, **kw)
