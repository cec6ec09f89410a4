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
    choose_variation_batch,
    hash_v2,
    hash_v2_batch,
    in_namespace,
    in_namespace_batch,
)

if TYPE_CHECKING:
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


def assign(spec: ExperimentSpec, user_id: str, programme: "ProgrammeSpec | None" = None) -> Assignment:
    """Assign one user exactly as a GrowthBook SDK would (hash v2 of seed + id, bucket ranges).

    As in the SDK, an empty id is never in the experiment, nor is a user outside the spec's
    namespace range (GrowthBook ``Experiment(namespace=(id, start, end))``: hash v1 of the id
    under ``"__" + namespace id``). ``hash_value`` is the hash v2 bucket in every case.

    With a ``programme`` whose holdout applies to the spec (:mod:`guidelab.programme`), a user in
    the programme holdout is not in the experiment either (the export's ``filters`` entry).
    """
    if not isinstance(user_id, str):
        raise TypeError(f"user_id must be a str, got {type(user_id).__name__}")
    n = hash_v2(spec.hash_seed, user_id)
    idx = choose_variation(n, _ranges(spec)) if user_id != "" else -1  # GrowthBook never enrolls an empty id
    ns = spec.namespace
    if idx >= 0 and ns is not None and not in_namespace(user_id, ns.id, ns.range[0], ns.range[1]):
        idx = -1  # outside the namespace range: not in the experiment
    if idx >= 0 and programme is not None and programme.applies_to(spec):
        from .programme import in_holdout

        if in_holdout(programme, user_id):
            idx = -1  # in the programme holdout: no guide of any experiment
    return Assignment(user_id, spec.id, spec.variants[idx].key if idx >= 0 else None, n)


def assign_batch(spec: ExperimentSpec, user_ids: Sequence[str] | np.ndarray | pa.Array | pa.ChunkedArray,
                 programme: "ProgrammeSpec | None" = None) -> pa.Table:
    """Vectorised :func:`assign` for a column of ids: a table user_id, experiment, variant, hash_value.

    ``variant`` is null for users outside the coverage or the namespace range. Identical to the scalar path.
    With a ``programme`` whose holdout applies to the spec, holdout users get a null variant too,
    and the table gains a boolean column ``programme_holdout`` (every user in the holdout, so they
    are recorded as such).
    """
    if isinstance(user_ids, (pa.Array, pa.ChunkedArray)):
        ids = user_ids
    else:
        ids = pa.array(list(user_ids) if not isinstance(user_ids, np.ndarray) else user_ids, type=pa.string())
    hashes = hash_v2_batch(spec.hash_seed, ids)
    idx = choose_variation_batch(hashes, _ranges(spec))
    empty = pc.equal(pc.binary_length(ids), 0)  # byte length: no scan of the characters
    if isinstance(empty, pa.ChunkedArray):
        empty = empty.combine_chunks()
    idx = np.where(empty.to_numpy(zero_copy_only=False), -1, idx)  # GrowthBook never enrolls an empty id
    ns = spec.namespace
    if ns is not None:  # outside the namespace range: not in the experiment
        idx = np.where(in_namespace_batch(ids, ns.id, ns.range[0], ns.range[1]), idx, -1)
    held: np.ndarray | None = None
    if programme is not None and programme.applies_to(spec):
        from .programme import in_holdout_batch

        held = in_holdout_batch(programme, ids)
        idx = np.where(held, -1, idx)  # in the programme holdout: no guide of any experiment
    keys = pa.array(spec.variant_keys, type=pa.string())
    indices = pa.array(np.where(idx >= 0, idx, 0).astype(np.int32), mask=idx < 0)
    variant = pa.DictionaryArray.from_arrays(indices, keys).cast(pa.string())
    n = len(hashes)
    columns = {
        "user_id": ids if isinstance(ids, pa.ChunkedArray) else pa.chunked_array([ids]),
        "experiment": pa.repeat(pa.scalar(spec.id, pa.string()), n),
        "variant": variant,
        "hash_value": pa.array(hashes, type=pa.float64()),
    }
    if held is not None:
        columns["programme_holdout"] = pa.array(held, type=pa.bool_())
    return pa.table(columns)


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
