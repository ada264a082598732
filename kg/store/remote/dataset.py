"""The Protocol dataset that makes a query's default graph the union of meshkg's graphs
on each server family, and the graphs a server holds for itself (never shown).

`UnionDataset` is a part of RemoteStore (kg.store.remote.server): it reads
query_url, graph_ttl, _names, _extra_system, dialect and _select.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from rdflib import URIRef

from kg.namespaces import STAGING_PREFIX
from kg.sparqlsafety import tokens

# Graphs with their sizes; on Virtuoso this is fast (the GS index) where
# SELECT DISTINCT ?g took 28 s over 50,000 triples.
GRAPHS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


# Graphs a fresh Virtuoso holds for itself: never listed, dumped, migrated or dropped,
# and excluded from the default and named graphs of every query.
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/virtrdf#",
    "http://www.w3.org/ns/ldp#",
    "http://www.w3.org/2002/07/owl#",
    "http://localuriqaserver/sparql",
    "urn:activitystreams-owl:map",
    "urn:core:services:sparql",
)


class UnionDataset:
    """Which graphs a query's dataset lists (a part of RemoteStore)."""

    def _system_graphs(self) -> tuple[str, ...]:
        if self.dialect != "virtuoso":
            return self._extra_system
        parts = urlsplit(self.query_url)
        return (VIRTUOSO_SYSTEM_GRAPHS + self._extra_system
                + (f"{parts.scheme}://{parts.netloc}/sparql",))

    def _hidden(self, graph: str) -> bool:
        if graph.startswith(STAGING_PREFIX) or graph in self._system_graphs():
            return True
        return self.dialect == "virtuoso" and graph.startswith("http://www.openlinksw.com/")

    def _dataset(self, sparql: str, default_graphs, named_graphs) -> list[tuple[str, str]]:
        """Protocol parameters that make the default graph the union of meshkg's graphs."""
        if default_graphs is None and named_graphs is None and _has_dataset_clause(sparql):
            return []  # the query names its own dataset
        params: list[tuple[str, str]] = []
        # Oxigraph refuses union-default-graph beside named-graph-uri: then it lists too
        listed = self.dialect in ("virtuoso", "generic") or (
            self.dialect == "oxigraph" and default_graphs is None and named_graphs is not None)
        # the named graphs matter only to a query that says GRAPH (Virtuoso is slow to
        # set up a dataset of many named graphs: 5 s instead of 0.02 s for one lookup)
        constants, graph_var = _graph_targets(sparql)
        name_them = listed and named_graphs is None and graph_var
        if listed and named_graphs is None and constants and not graph_var:
            # only `GRAPH <iri>`: those graphs are all the named graphs it can see
            named_graphs = sorted(constants)
            if default_graphs is None and not _reads_default_graph(sparql):
                # and nothing outside them: the default graph is never read, so it is
                # not listed (discovery on Virtuoso at 10,000 products: 7.0 -> 3.4 ms)
                default_graphs = named_graphs
        if listed and (default_graphs is None or name_them):
            # Virtuoso's own union also holds its system graphs (and its
            # input:*-graph-exclude pragmas empty the named graphs), so both the default
            # and the named graphs are listed: a SPARQL dataset names both or loses one.
            visible = self._graph_names() or [STAGING_PREFIX + "none"]
        if default_graphs is not None:
            params += [("default-graph-uri", g) for g in default_graphs]
        elif self.dialect == "oxigraph" and not listed:
            params.append(("union-default-graph", ""))
        elif self.dialect == "fuseki":
            params.append(("default-graph-uri", "urn:x-arq:UnionGraph"))
        else:
            params += [("default-graph-uri", g) for g in visible]
        if named_graphs is not None:
            params += [("named-graph-uri", g) for g in named_graphs]
        elif name_them:
            # Virtuoso matches `GRAPH <g> { … }` once, with nothing bound, when <g> is
            # not among the named graphs (an absent graph made ASK true): the graphs a
            # query names are always in the list
            named = set(visible) | _graph_constants(sparql)
            params += [("named-graph-uri", g) for g in sorted(named)]
        return params

    def _graph_names(self) -> list[str]:
        now = time.monotonic()
        if self._names is not None and now - self._names[0] < self.graph_ttl:
            return self._names[1]
        rows = self._select(GRAPHS)
        names = sorted(str(r["g"]) for r in rows
                       if isinstance(r.get("g"), URIRef) and not self._hidden(str(r["g"])))
        self._names = (now, names)
        return names


def _graph_constants(sparql: str) -> set[str]:
    """The IRIs a query names in `GRAPH <iri>`."""
    toks = list(tokens(sparql))
    return {toks[i + 1][1][1:-1] for i, (kind, tok, _) in enumerate(toks[:-1])
            if kind == "word" and tok.upper() == "GRAPH" and toks[i + 1][0] == "iri"}


def _graph_targets(sparql: str) -> tuple[set[str], bool]:
    """The IRIs a query names in `GRAPH <iri>`, and whether it also says `GRAPH ?var`
    (or GRAPH before anything else but an IRI)."""
    toks = list(tokens(sparql))
    constants, var = set(), False
    for i, (kind, tok, _) in enumerate(toks):
        if kind == "word" and tok.upper() == "GRAPH":
            if i + 1 < len(toks) and toks[i + 1][0] == "iri":
                constants.add(toks[i + 1][1][1:-1])
            else:
                var = True
    return constants, var


def _reads_default_graph(sparql: str) -> bool:
    """Whether a query may read its default graph: False only for a SELECT or ASK whose
    WHERE group holds nothing but `GRAPH <iri> { … }` groups (joined by braces, `.`,
    UNION, OPTIONAL or MINUS) and no group anywhere else (EXISTS in the projection,
    HAVING or ORDER BY, a trailing VALUES); anything else, or any doubt, is True."""
    toks = list(tokens(sparql))
    words = [i for i, t in enumerate(toks) if t[0] == "word" and t[1].upper() == "WHERE"]
    braces = [i for i, t in enumerate(toks) if t[0] == "other" and t[1] == "{"]
    if not braces:
        return True
    # the WHERE group must be the first group of the text: a group before it (EXISTS
    # in the projection, a CONSTRUCT template) means doubt
    start = braces[0]
    if (words and words[0] != start - 1) or any(
            t[0] == "word" and t[1].upper() in ("CONSTRUCT", "DESCRIBE", "EXISTS")
            for t in toks[:start]):
        return True
    depth, i = 0, start
    while i < len(toks):
        kind, tok, _ = toks[i]
        if kind == "word" and tok.upper() == "GRAPH" and depth > 0:
            if not (i + 2 < len(toks) and toks[i + 1][0] == "iri" and toks[i + 2][1] == "{"):
                return True
            inner, i = 0, i + 2
            while i < len(toks):  # skip the graph's group, braces balanced
                if toks[i][0] == "other" and toks[i][1] in "{}":
                    inner += 1 if toks[i][1] == "{" else -1
                    if inner == 0:
                        break
                i += 1
            else:
                return True
        elif kind == "other" and tok in ("{", "}"):
            depth += 1 if tok == "{" else -1
            if depth == 0:
                # the end of WHERE: solution modifiers follow, and any group among
                # them (HAVING/ORDER BY with EXISTS, VALUES) is doubt
                return any(t[0] == "other" and t[1] == "{" for t in toks[i + 1:])
        elif not ((kind == "other" and tok == ".")
                  or (kind == "word" and tok.upper() in ("UNION", "OPTIONAL", "MINUS"))):
            return True
        i += 1
    return True


def _has_dataset_clause(sparql: str) -> bool:
    return any(kind == "word" and tok.upper() == "FROM" for kind, tok, _ in tokens(sparql))
