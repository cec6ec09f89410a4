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
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .experiment import ExperimentSpec, load_experiment
from .fsutil import atomic_write_text
from .guides import Guide, LocalizedText

__all__ = ["export_experiment", "export_from_cli", "growthbook_payload", "guides_payload"]

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


def growthbook_payload(spec: ExperimentSpec) -> dict[str, Any]:
    """The GrowthBook SDK features payload: one feature ``<id>`` with one experiment rule.

    Field names are the SDK's ``FeatureRule`` ones (``key``, ``hashAttribute``, ``seed``,
    ``hashVersion``, ``coverage``, ``weights``, ``variations``, ``namespace``, ``meta``).
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
    if spec.namespace is not None:
        rule["namespace"] = [spec.namespace.id, spec.namespace.range[0], spec.namespace.range[1]]
    return {"features": {spec.id: {"defaultValue": None, "rules": [rule]}}}


def _json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def export_experiment(spec: ExperimentSpec, out_dir: str | Path) -> list[Path]:
    """Write ``<out_dir>/<id>/guides.json`` and ``growthbook.json`` atomically; return their paths."""
    target = Path(out_dir) / spec.id
    guides = atomic_write_text(target / "guides.json", _json(guides_payload(spec)))
    gb = atomic_write_text(target / "growthbook.json", _json(growthbook_payload(spec)))
    return [Path(guides), Path(gb)]


def export_from_cli(spec_path: str | Path, out_dir: str | Path) -> str:
    """Load and validate a spec, export it, and return a short summary for the terminal.

    Invalid specs raise :class:`guidelab.errors.SpecError` (from loading), as elsewhere.
    """
    spec = load_experiment(spec_path)
    paths = export_experiment(spec, out_dir)
    ns = spec.namespace
    where = f", namespace {ns.id} [{ns.range[0]:g}, {ns.range[1]:g})" if ns is not None else ""
    lines = [f"exported {spec.id} ({len(spec.variants)} variants, coverage {spec.coverage:g}{where}):"]
    lines += [f"  {p}" for p in paths]
    return "\n".join(lines)
