"""The W3C SPARQL 1.1 Protocol tests, driven by their manifest, against a running server.

tests/data/corpora/sparql11-tests/protocol/manifest.ttl describes each test
as HTTP requests (method, path, headers, body) and expected responses (status
class, answer format, ASK boolean). Adaptations, the same for every test: the
path prefix `/sparql/` becomes our endpoint `/sparql`; every request carries a
steward token, because meshkg takes updates only from stewards (the manifest
assumes an open endpoint); ut:graphData files are loaded into graphs named by
their rdfs:label before the requests run.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS

MANIFEST = (Path(__file__).resolve().parents[1] / "data" / "corpora" / "sparql11-tests"
            / "protocol" / "manifest.ttl")
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
TESTS = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"

FORMATS = {
    "boolean": ("application/sparql-results+json", "application/sparql-results+xml"),
    "tabular": ("application/sparql-results+json", "application/sparql-results+xml",
                "text/csv", "text/tab-separated-values"),
    "RDF": ("text/turtle", "application/n-triples", "application/rdf+xml",
            "application/ld+json"),
}

#: tests of the manifest that do not apply to meshkg, with the reason
NOT_APPLICABLE: dict[str, str] = {}


def _load():
    g = Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    head = g.value(URIRef(MANIFEST.as_uri()), MF.entries)
    return g, list(Collection(g, head))


def _cases():
    g, tests = _load()
    for test in tests:
        name = str(test).rsplit("#", 1)[-1]
        if name in NOT_APPLICABLE:
            yield pytest.param(name, id=f"{name} (does not apply: {NOT_APPLICABLE[name]})",
                               marks=pytest.mark.skip(reason=NOT_APPLICABLE[name]))
        else:
            yield pytest.param(name, id=name)


def _requests(g: Graph, test):
    action = g.value(test, MF.action)
    for req in Collection(g, g.value(action, HT.requests)):
        headers = {}
        if g.value(req, HT.headers) is not None:
            for h in Collection(g, g.value(req, HT.headers)):
                headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
        body = None
        node = g.value(req, HT.body)
        if node is not None:
            encoding = str(g.value(node, CNT.characterEncoding) or "UTF-8")
            body = str(g.value(node, CNT.chars)).encode(encoding.lower())
        resp = g.value(req, HT.resp)
        yield {
            "method": str(g.value(req, HT.methodName)),
            "path": str(g.value(req, HT.absolutePath)),
            "headers": headers,
            "body": body,
            "statuses": {str(s).rsplit("#", 1)[-1] for s in g.objects(resp, MF.expectedStatus)},
            "format": g.value(resp, MF.expectedFormat),
            "boolean": g.value(resp, MF.expectedBoolean),
        }


def _boolean(resp: requests.Response) -> bool:
    if "json" in resp.headers["Content-Type"]:
        return json.loads(resp.content)["boolean"]
    root = ElementTree.fromstring(resp.content)
    return root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"


@pytest.mark.parametrize("name", list(_cases()))
def test_protocol(start_server, name, bearer):
    g, _ = _load()
    test = URIRef(TESTS + name)
    server = start_server(updates_enabled=True, data=())
    for data in g.objects(test, UT.graphData):
        path = Path(str(g.value(data, UT.graph)).removeprefix("file://"))
        server.store.put_graph(str(g.value(data, RDFS.label)), path.read_bytes(), "ntriples")
    for step, req in enumerate(_requests(g, test)):
        assert req["path"].startswith("/sparql/")
        url = server.sparql + req["path"][len("/sparql/"):]
        resp = requests.request(req["method"], url, data=req["body"], timeout=30,
                                headers={**req["headers"], **bearer()})
        status_class = f"StatusCode{resp.status_code // 100}xx"
        assert status_class in req["statuses"], (step, resp.status_code, resp.text)
        if req["format"] is not None:
            media_type = resp.headers["Content-Type"].split(";")[0]
            assert media_type in FORMATS[str(req["format"])], (step, media_type)
        if req["boolean"] is not None:
            assert _boolean(resp) is req["boolean"].toPython(), (step, resp.text)
