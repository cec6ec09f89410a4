"""Export an experiment for the front end: guide content and a GrowthBook features payload.

``export_experiment(spec, out_dir)`` writes, atomically:

* ``<out>/<id>/guides.json``: per variant, the guide it shows (or ``null`` for a holdout),
  with its text per locale (type, steps with title/body/buttons/target/question, targeting,
  trigger, schedule, frequency, priority, goal event, and ``stop_on_events``: the product
  events after which the front end must not show the guide again, from ``frequency.until_goal``
  and ``frequency.stop_events``). Plain data: text is **not** escaped
  (the front end escapes it), keys are sorted, non-ASCII is written as is (UTF-8).
* ``<out>/<id>/growthbook.json``: ``{"features": {<id>: {"defaultValue": null, "rules":
  [<experiment rule>]}}}``, the shape GrowthBook SDKs load (``GrowthBook(features=...)``).
  Evaluating feature ``<id>`` returns the user's variant key, exactly as
  :func:`guidelab.abtest.assign` decides it (hash v2, same seed, coverage, weights and
  namespace), or ``null`` when the user is not in the experiment.

With a programme holdout (``experiments/policies/programme.yaml``, :mod:`guidelab.programme`)
that applies to the experiment, the rule carries GrowthBook ``filters``: the holdout's
``{seed, hashVersion: 2, ranges: [[share, 1]]}`` (holdout users are filtered out, so the SDK
returns ``null`` and the product shows nothing) and, for a namespaced experiment, the namespace
as the equivalent filter ``{seed: "__" + id, hashVersion: 1, ranges: [[start, end]]}`` (the SDK
ignores ``namespace`` once a rule has filters). The payload also holds the programme feature
``<programme id>`` (variations ``holdout`` / ``programme``, weights ``[share, 1 - share]``, same
seed), which the product evaluates before any guide so its tracking callback records every
user's programme arm, holdout users included.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .experiment import ExperimentSpec, load_experiment
from .fsutil import atomic_write_text
from .guides import Guide, LocalizedText

if TYPE_CHECKING:
    from .programme import ProgrammeSpec

__all__ = ["export_experiment", "export_from_cli", "growthbook_payload", "guides_payload", "programme_feature"]

FORMAT_VERSION = 1


def _dump(model: Any) -> Any:
    return None if model is None else model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _text(t: LocalizedText | None, lang: str) -> str | None:
    return None if t is None else t.get(lang)


def _guide_locale(guide: Guide, lang: str) -> dict[str, Any]:
    steps = []
    for s in guide.steps:
        step: dict[str, Any] = {
            "id": s.id,
            "title": _text(s.title, lang),
            "body": _text(s.body, lang),
            "target": s.target,
            "placement": s.placement,
            "buttons": [
                {"label": b.label.get(lang), "action": b.action, "url": b.url} for b in s.buttons
            ],
            "complete_event": s.complete_event,
            "question": None,
        }
        if s.question is not None:
            q = s.question
            step["question"] = {
                "kind": q.kind,
                "scale": list(q.scale) if q.scale is not None else None,
                "options": [o.get(lang) for o in q.options] if q.options else None,
            }
        steps.append(step)
    return {"name": _text(guide.name, lang), "steps": steps}


def _guide(guide: Guide) -> dict[str, Any]:
    return {
        "id": guide.id,
        "type": guide.type,
        "locales": list(guide.locales),
        "content": {lang: _guide_locale(guide, lang) for lang in guide.locales},
        "targeting": _dump(guide.targeting),
        "trigger": _dump(guide.trigger),
        "schedule": _dump(guide.schedule),
        "frequency": _dump(guide.frequency),
        # The stop rule resolved for the front end: never show again once the user has done any of these.
        "stop_on_events": guide.frequency.stop_events_for(guide.goal_event),
        "priority": guide.priority,
        "goal_event": guide.goal_event,
    }


def guides_payload(spec: ExperimentSpec) -> dict[str, Any]:
    """The data of ``guides.json``: every variant and the guide it shows, per locale."""
    variants = {}
    for v in spec.variants:
        g = spec.guide_for(v.key)
        variants[v.key] = {"weight": v.weight, "guide": _guide(g) if g is not None else None}
    locales = sorted({lang for g in spec.guides for lang in g.locales})
    return {
        "format": FORMAT_VERSION,
        "experiment": spec.id,
        "version": spec.version,
        "control": spec.control_key,
        "locales": locales,
        "variants": variants,
    }


def programme_feature(programme: "ProgrammeSpec") -> dict[str, Any]:
    """The GrowthBook feature of the programme holdout: ``holdout`` for users whose hash v2 under
    the holdout seed is below ``share``, else ``programme`` (the complement of the experiments'
    holdout filter, on the same hash). With ``unit: account_id`` it hashes that attribute
    (``hashAttribute``), as the filter does, so whole accounts share their programme arm."""
    from .programme import HOLDOUT_ARM, PROGRAMME_ARM

    share = programme.holdout.share
    rule = {
        "key": programme.id,
        "hashAttribute": programme.hash_attribute,
        "seed": programme.holdout.seed,
        "hashVersion": 2,
        "coverage": 1,
        "weights": [share, 1 - share],
        "variations": [HOLDOUT_ARM, PROGRAMME_ARM],
        "meta": [{"key": HOLDOUT_ARM}, {"key": PROGRAMME_ARM}],
    }
    return {"defaultValue": None, "rules": [rule]}


def growthbook_payload(spec: ExperimentSpec, programme: "ProgrammeSpec | None" = None) -> dict[str, Any]:
    """The GrowthBook SDK features payload: one feature ``<id>`` with one experiment rule.

    Field names are the SDK's ``FeatureRule`` ones (``key``, ``hashAttribute``, ``seed``,
    ``hashVersion``, ``coverage``, ``weights``, ``variations``, ``namespace``, ``filters``, ``meta``).
    With a ``programme`` whose holdout applies, the rule gets ``filters`` (holdout, then the
    namespace) and the payload the programme feature (:func:`programme_feature`).
    """
    rule: dict[str, Any] = {
        "key": spec.id,
        "hashAttribute": spec.hash_attribute,
        "seed": spec.hash_seed,
        "hashVersion": 2,
        "coverage": spec.coverage,
        "weights": [v.weight for v in spec.variants],
        "variations": spec.variant_keys,
        "meta": [{"key": k} for k in spec.variant_keys],
    }
    ns = spec.namespace
    features: dict[str, Any] = {spec.id: {"defaultValue": None, "rules": [rule]}}
    if programme is not None and programme.applies_to(spec):
        filters = [programme.holdout_filter()]
        if ns is not None:  # the SDK reads `namespace` only for rules without filters
            filters.append({"seed": "__" + ns.id, "hashVersion": 1, "attribute": "id",
                            "ranges": [[ns.range[0], ns.range[1]]]})
        rule["filters"] = filters
        features[programme.id] = programme_feature(programme)
    elif ns is not None:
        rule["namespace"] = [ns.id, ns.range[0], ns.range[1]]
    return {"features": features}


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def export_experiment(spec: ExperimentSpec, out_dir: str | Path, programme: "ProgrammeSpec | None" = None) -> list[Path]:
    """Write ``<out_dir>/<id>/guides.json`` and ``growthbook.json`` atomically; return their paths."""
    target = Path(out_dir) / spec.id
    guides = atomic_write_text(target / "guides.json", _json(guides_payload(spec)))
    gb = atomic_write_text(target / "growthbook.json", _json(growthbook_payload(spec, programme)))
    return [Path(guides), Path(gb)]


def export_from_cli(spec_path: str | Path, out_dir: str | Path) -> str:
    """Load and validate a spec, export it, and return a short summary for the terminal.

    Invalid specs raise :class:`guidelab.errors.SpecError` (from loading), as elsewhere. The
    programme beside the spec (``policies/programme.yaml``), when there is one, adds its holdout.
    """
    from .programme import programme_for_spec

    spec = load_experiment(spec_path)
    programme = programme_for_spec(spec_path)
    paths = export_experiment(spec, out_dir, programme)
    ns = spec.namespace
    where = f", namespace {ns.id} [{ns.range[0]:g}, {ns.range[1]:g})" if ns is not None else ""
    if programme is not None and programme.applies_to(spec):
        where += f", programme holdout {programme.holdout.share:.2%} ({programme.id})"
    lines = [f"exported {spec.id} ({len(spec.variants)} variants, coverage {spec.coverage:g}{where}):"]
    lines += [f"  {p}" for p in paths]
    return "\n".join(lines)
