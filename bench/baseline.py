"""The plain baseline: rdflib, pySHACL and owlrl on one in-memory rdflib graph."""

from __future__ import annotations

import time

from rdflib import Graph, Literal, URIRef

from bench import timing
from bench.generate import Manifest
from bench.queries import DISCOVERY_RDFLIB, LABEL_SEARCH


def _parse(files: list[str], fmt: str) -> Graph:
    g = Graph()
    for f in files:
        g.parse(f, format="nt" if fmt == "nt" else "turtle")
    return g


def _with_context(man: Manifest) -> Graph:
    g = _parse(man.files, man.fmt)
    g.parse(man.context_file, format="nt")
    return g


def load(man: Manifest) -> dict:
    """Time Graph.parse of every generated file into one graph."""
    start = time.perf_counter()
    g = _parse(man.files, man.fmt)
    seconds = time.perf_counter() - start
    return {"load": {"seconds": seconds, "detail": f"{len(g):,} triples"}}


def query(man: Manifest, runs: int, budget: float) -> dict:
    """Time the discovery queries (broader* path) and the label search, p50."""
    g = _parse(man.files, man.fmt)
    timing.mark_setup()
    out = {}
    for key, concept in (("discovery", man.narrow_concept),
                         ("discovery-broad", man.broad_concept)):
        def run(concept=concept):
            return len(list(g.query(DISCOVERY_RDFLIB,
                                    initBindings={"concept": URIRef(concept)})))
        out[key] = timing.p50(run, runs, budget)
    out["label-search"] = timing.p50(
        lambda: len(list(g.query(LABEL_SEARCH,
                                 initBindings={"q": Literal(man.search_term)}))),
        runs, budget)
    return out


def validate(man: Manifest) -> dict:
    """Time plain pySHACL over the whole graph with meshkg's shapes."""
    import pyshacl
    from rdflib.namespace import RDF, SH

    from kg.validation import load_shapes
    g = _with_context(man)
    shapes = load_shapes()
    timing.mark_setup()
    start = time.perf_counter()
    with timing.budget_alarm():
        _, report, _ = pyshacl.validate(
            g, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True,
            allow_infos=True, do_owl_imports=False)
    seconds = time.perf_counter() - start
    sev = [str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
           for r in report.subjects(RDF.type, SH.ValidationResult)]
    detail = f"{sev.count('Violation')} violations, {sev.count('Warning')} warnings"
    return {"validate": {"seconds": seconds, "detail": detail}}


def infer(man: Manifest) -> dict:
    """Time the owlrl RDFS closure of the whole graph (data, ontology and context)."""
    import owlrl
    g = _with_context(man)
    before = len(g)
    timing.mark_setup()
    start = time.perf_counter()
    with timing.budget_alarm():
        owlrl.DeductiveClosure(owlrl.RDFS_Semantics).expand(g)
    seconds = time.perf_counter() - start
    return {"infer": {"seconds": seconds, "detail": f"{len(g) - before:,} new triples"}}


STEPS = {"load": load, "validate": validate, "infer": infer}


def run_step(step: str, man: Manifest, *, runs: int, budget: float) -> dict:
    """Run one baseline step; the one-product steps re-run the whole-graph engines."""
    if step == "query":
        return query(man, runs, budget)
    if step == "validate-one":
        res = validate(man)["validate"]
        return {"validate-one": res, "validate-one-add": dict(res)}
    if step == "infer-one":
        return {"infer-one": infer(man)["infer"]}
    return STEPS[step](man)


__all__ = ["run_step"]
