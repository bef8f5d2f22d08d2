"""Case-page panel: analysis results (findings, ransomware identification, logon graph,
timeline, the warnings about input that could not be read and, for desk staff, the
rules that could not be loaded)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork
from madoguchi.services import analysis_runs

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "informational": 4}
TIMELINE_LIMIT = 300


def _logon_graphs(documents: list[dict[str, Any]]) -> list[Markup]:
    try:
        from madoguchi.analyzers.windows_evtx.logon_graph import render_svg
    except ImportError:  # pragma: no cover - the analyzer ships with madoguchi
        return []
    graphs = []
    for document in documents:
        for item in document.get("logons") or ():
            # render_svg escapes every text it draws; the SVG has no script.
            graphs.append(Markup(render_svg(item)))  # noqa: S704
    return graphs


def context(uow: UnitOfWork, actor: Actor, case_id: int) -> dict[str, Any]:
    records = analysis_runs.case_results(uow, actor, case_id)
    documents = [r.document for r in records if r.document]
    findings = [f for d in documents for f in d.get("findings") or ()]
    findings.sort(
        key=lambda f: (SEVERITY_ORDER.get(f.get("severity", ""), 9), f.get("timestamp") or "")
    )
    timeline = sorted(
        (t for d in documents for t in d.get("timeline") or ()),
        key=lambda t: t.get("timestamp") or "",
    )
    warnings = [
        (i.get("path"), w)
        for d in documents
        for i in d.get("inputs") or ()
        for w in i.get("warnings") or ()
    ]
    ransomware = [r for d in documents for r in d.get("ransomware") or ()]
    # The desk's own rule folders: a rule that did not load is the desk's to fix, and
    # names files on its servers, so only desk staff see the list.
    rules_not_loaded = (
        list(
            {
                (r.get("rule_file"), r.get("reason")): r
                for d in documents
                for r in d.get("rules_not_loaded") or ()
            }.values()
        )
        if actor.is_desk
        else []
    )
    return {
        "analysis_runs": records,
        "analysis_findings": findings,
        "analysis_timeline": timeline[:TIMELINE_LIMIT],
        "analysis_timeline_total": len(timeline),
        "analysis_warnings": warnings,
        "analysis_rules_not_loaded": rules_not_loaded,
        "analysis_ransomware": ransomware,
        "analysis_logon_graphs": _logon_graphs(documents),
    }
