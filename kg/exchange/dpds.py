"""Import Open Data Mesh descriptors (DPDS 1.0, JSON or YAML, split over several files).

`$ref`s to sibling files are inlined; a reference that leaves the descriptor's folder
is refused; remote (http) references are never fetched and are listed as not followed.
"""

from __future__ import annotations

from pathlib import Path

from kg.errors import FormatMismatch, HostileInput
from kg.exchange._yamlmap import dataset, fields_from_columns, listof, text
from kg.exchange.common import DEFAULT_BASE, import_specs
from kg.exchange.model import ProductSpec
from kg.exchange.report import SourceReport
from kg.exchange.safeio import inside, load_document
from kg.store.base import Store

MAX_REFS = 200


def resolve(doc, folder: Path, root: Path, report: SourceReport, *, _state=None):
    """Inline `$ref`s to files inside `root`; leave fragments and remote refs in place."""
    state = _state if _state is not None else {"count": 0, "stack": []}
    if isinstance(doc, list):
        return [resolve(v, folder, root, report, _state=state) for v in doc]
    if not isinstance(doc, dict):
        return doc
    ref = doc.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        if "://" in ref:
            report.unmapped.append(f"remote $ref not fetched: {ref}")
        else:
            rel = ref.split("#")[0]
            if rel.startswith(("/", "\\")) or not _within(folder / rel, root):
                raise HostileInput(f"$ref {ref!r} leaves the descriptor's folder {root}",
                                   source=report.source)
            target = inside(root, str((folder / rel).resolve().relative_to(root.resolve())),
                            source=report.source)
            if target in state["stack"]:
                raise HostileInput(f"$ref cycle through {ref}", source=report.source)
            state["count"] += 1
            if state["count"] > MAX_REFS:
                raise HostileInput(f"more than {MAX_REFS} $refs", source=report.source)
            state["stack"].append(target)
            loaded = load_document(target)
            inlined = resolve(loaded, target.parent, root, report, _state=state)
            state["stack"].pop()
            rest = {k: v for k, v in doc.items() if k != "$ref"}
            if isinstance(inlined, dict):
                return {**inlined, **{k: v for k, v in rest.items() if k not in inlined}}
            return inlined
    return {k: resolve(v, folder, root, report, _state=state) for k, v in doc.items()}


def _within(path: Path, root: Path) -> bool:
    r, p = root.resolve(), path.resolve()
    return p == r or r in p.parents


def _fields(port: dict) -> list:
    """Find a port's columns wherever its API definition lists them."""
    found: list = []

    def walk(node, depth=0):
        if depth > 30 or found:
            return
        if isinstance(node, dict):
            for key in ("columns", "fields"):
                if isinstance(node.get(key), list) and all(
                        isinstance(c, dict) and "name" in c for c in node[key]):
                    found.extend(fields_from_columns(node[key]))
                    return
            props = node.get("properties")
            if isinstance(props, dict) and all(isinstance(v, dict) for v in props.values()):
                found.extend(fields_from_columns([{"name": k, **v} for k, v in props.items()]))
                return
            for v in node.values():
                walk(v, depth + 1)
        elif isinstance(node, list):
            for v in node:
                walk(v, depth + 1)

    walk(port.get("promises", port))
    return found


def spec_from_descriptor(doc, report: SourceReport) -> ProductSpec:
    """Map a resolved DPDS descriptor to a product spec."""
    if not isinstance(doc, dict) or "dataProductDescriptor" not in doc:
        raise FormatMismatch("format mismatch: not a DPDS descriptor "
                             "(no 'dataProductDescriptor')", source=report.source)
    info = doc.get("info") or {}
    owner = info.get("owner") if isinstance(info.get("owner"), dict) else {}
    fqn = text(info.get("fullyQualifiedName"))
    label = text(info.get("displayName")) or text(info.get("name")) or fqn or "data product"
    spec = ProductSpec(key=fqn or label, label=label, description=text(info.get("description")),
                       owner=text(owner.get("name")) or text(owner.get("id")),
                       owner_email=text(owner.get("id")) if "@" in str(owner.get("id")) else None,
                       domain=text(info.get("domain")), version=text(info.get("version")),
                       identifier=fqn)
    ifaces = doc.get("interfaceComponents") or {}
    for port in listof(ifaces.get("inputPorts")):
        if isinstance(port, dict):
            spec.input_ports.append(text(port.get("fullyQualifiedName"))
                                    or text(port.get("name")) or "input port")
    for i, port in enumerate(listof(ifaces.get("outputPorts"))):
        if not isinstance(port, dict):
            continue
        name = text(port.get("name")) or f"port-{i + 1}"
        ds = dataset(name, text(port.get("displayName")) or name, text(port.get("description")),
                     _fields(port))
        promises = port.get("promises") or {}
        for k in ("platform", "serviceType"):
            if text(promises.get(k)):
                ds.notes.append(f"{k}: {promises[k]}")
        spec.datasets.append(ds)
    for kind in ("observabilityPorts", "controlPorts", "discoveryPorts"):
        for port in listof(ifaces.get(kind)):
            if isinstance(port, dict):
                spec.notes.append(f"{kind[:-1]}: {text(port.get('name')) or '?'}: "
                                  f"{text(port.get('description')) or ''}".rstrip(": "))
    report.mapped += ["info.fullyQualifiedName -> dct:identifier",
                      "info.displayName / name -> rdfs:label", "info.domain -> dprod:domain",
                      "info.owner -> dprod:dataProductOwner (prov:Agent, foaf:mbox)",
                      "info.version -> dcat:version",
                      "outputPorts[] -> dprod:outputPort / dcat:Dataset, columns -> mesh:Field"]
    report.text_only += ["inputPorts[] -> rdfs:comment", "observability/control/discovery "
                         "ports -> rdfs:comment", "promises.platform / serviceType -> "
                         "rdfs:comment"]
    report.unmapped += ["internalComponents (applications, infrastructure)",
                        "promises.slo, deprecationPolicy, expectations, contracts"]
    return spec


def import_dpds(store: Store, path: Path, report: SourceReport, *,
                base_iri: str = DEFAULT_BASE, validate: bool = True) -> SourceReport:
    """Import one DPDS descriptor, inlining $refs to files in its folder."""
    root = path.resolve().parent
    doc = resolve(load_document(path), root, root, report)
    spec = spec_from_descriptor(doc, report)
    name = text((doc.get("info") or {}).get("name")) or path.name.split(".")[0]
    return import_specs(store, str(path), "dpds", name, [spec], report,
                        base_iri=base_iri, validate=validate)
