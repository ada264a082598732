"""Suggest what a column means: a business concept from the store's SKOS labels, and
DPV personal-data categories from column names and value patterns, each with evidence
and a confidence between 0 and 1."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import URIRef

from kg.exchange.model import Suggestion
from kg.exchange.queries import load
from kg.namespaces import ONTOLOGY_GRAPH, PD, VOCAB_GRAPH_PREFIX
from kg.store.base import Store

_LABEL_WEIGHT = {"prefLabel": 0.95, "altLabel": 0.9, "hiddenLabel": 0.85}
#: name parts that say how a concept is referenced, not which concept it is
_SUFFIXES = {"id", "key", "code", "no", "nr", "num", "number", "ref", "ts", "at", "date",
             "uuid", "pk", "fk", "name", "type"}


def tokens(name: str) -> tuple[str, ...]:
    """Split snake_case, camelCase, kebab-case and spaces into lowercase ASCII words."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return tuple(w for w in re.split(r"[^0-9a-zA-Z]+", text.lower()) if w)


def _singular(words: tuple[str, ...]) -> tuple[str, ...]:
    if not words:
        return words
    last = words[-1]
    if last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        last = last[:-1]
    return words[:-1] + (last,)


@dataclass
class ConceptIndex:
    """Concept labels of a store, normalised to word tuples."""

    labels: dict[tuple[str, ...], list[tuple[str, str, str]]] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: Store | None) -> ConceptIndex:
        """Read every concept label outside the shipped vocabularies."""
        index = cls()
        if store is None:
            return index
        graphs = [g for g in store.graphs() if not g.startswith(VOCAB_GRAPH_PREFIX)
                  and g != ONTOLOGY_GRAPH and not g.startswith("urn:meshkg:graph:inferred:")]
        if not graphs:
            return index
        for row in store.query(load("concept_labels"), default_graphs=graphs).rows:
            key = _singular(tokens(str(row["label"])))
            if key:
                index.labels.setdefault(key, []).append(
                    (str(row["c"]), str(row["kind"]), str(row["label"])))
        return index

    def match_name(self, name: str) -> list[Suggestion]:
        """Match a column name against concept labels (whole name, then without suffix)."""
        words = _singular(tokens(name))
        out: dict[str, Suggestion] = {}
        tries = [(words, 1.0, "")]
        if len(words) > 1 and words[-1] in _SUFFIXES:
            tries.append((_singular(words[:-1]), 0.85, f" once the suffix '{words[-1]}' "
                          "is dropped"))
        if len(words) > 1 and words[0] in _SUFFIXES | {"is", "has"}:
            tries.append((words[1:], 0.8, f" once the prefix '{words[0]}' is dropped"))
        for key, factor, how in tries:
            for iri, kind, label in self.labels.get(key, []):
                conf = _LABEL_WEIGHT.get(kind, 0.8) * factor
                if iri not in out or out[iri].confidence < conf:
                    out[iri] = Suggestion("concept", iri, label, conf,
                                          f"column name '{name}' matches the {kind} "
                                          f"'{label}'{how}")
        return sorted(out.values(), key=lambda s: -s.confidence)

    def match_values(self, name: str, values: Sequence[str]) -> list[Suggestion]:
        """Suggest the concept whose narrower labels the column's values are."""
        hits: dict[str, int] = {}
        seen = [v for v in dict.fromkeys(values) if v][:50]
        for v in seen:
            for iri, _kind, _label in self.labels.get(_singular(tokens(v)), []):
                hits[iri] = hits.get(iri, 0) + 1
        out = []
        for iri, n in hits.items():
            share = n / max(len(seen), 1)
            if n >= 2 and share >= 0.3:
                label = self.labels_of(iri)
                out.append(Suggestion("concept", iri, label, round(0.5 + 0.3 * share, 2),
                                      f"{n} of {len(seen)} distinct values of '{name}' are "
                                      f"labels of the concept '{label}'"))
        return out

    def labels_of(self, iri: str) -> str:
        """Return one label of a concept, the prefLabel if there is one."""
        best = ""
        for entries in self.labels.values():
            for c, kind, label in entries:
                if c == iri and (kind == "prefLabel" or not best):
                    best = label
        return best or iri


# -- personal data ---------------------------------------------------------------------

_NAME_RULES: list[tuple[str, URIRef, str, float]] = [
    (r"e_?mail|mail_?addr", PD.EmailAddress, "email address", 0.9),
    (r"phone|mobile|tel(ephone)?(_?n(o|um|umber))?$|fax", PD.TelephoneNumber,
     "telephone number", 0.85),
    (r"(first|last|given|family|middle|full|sur|maiden|nick)_?name|^name$|surname",
     PD.Name, "name", 0.85),
    (r"(street|postal|post|zip|postcode|address|addr|city|house_?n)", PD.PhysicalAddress,
     "postal address", 0.7),
    (r"(ssn|social_?security|national_?id|passport|tax_?id|steuer_?id|nino|bsn|"
     r"personal_?number|id_?card)", PD.OfficialID, "national identifier", 0.85),
    (r"iban|bank_?account|account_?number", PD.BankAccount, "bank account", 0.85),
    (r"(credit|debit)?_?card_?(number|no|num)|pan$", PD.PaymentCardNumber, "card number",
     0.75),
    (r"ip_?(address|addr)?$|^ip_|client_?ip|remote_?addr", PD.IPAddress, "IP address", 0.85),
    (r"(birth|dob|geburt)", PD.BirthDate, "date of birth", 0.9),
    (r"gender|sex$", PD.Gender, "gender", 0.8),
    (r"^age$|_age$", PD.Age, "age", 0.7),
]

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()/.-]{6,18}[0-9]$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")


def iban_valid(value: str) -> bool:
    """Check an IBAN's ISO 13616 mod-97 checksum."""
    v = value.replace(" ", "").upper()
    if not _IBAN.match(v):
        return False
    moved = v[4:] + v[:4]
    digits = "".join(str(int(c, 36)) for c in moved)
    return int(digits) % 97 == 1


def _is_ip(v: str) -> bool:
    try:
        ipaddress.ip_address(v)
    except ValueError:
        return False
    return "." in v or ":" in v


_VALUE_RULES = [
    (lambda v: bool(_EMAIL.match(v)), PD.EmailAddress, "email address"),
    (iban_valid, PD.BankAccount, "IBAN with a valid checksum"),
    (_is_ip, PD.IPAddress, "IP address"),
    (lambda v: bool(_SSN.match(v)), PD.OfficialID, "US social security number pattern"),
    (lambda v: bool(_PHONE.match(v)) and sum(c.isdigit() for c in v) >= 7
     and not _is_ip(v) and not re.match(r"^\d{4}-\d{2}-\d{2}", v),
     PD.TelephoneNumber, "telephone number"),
]


def personal_data(name: str, values: Sequence[str]) -> list[Suggestion]:
    """Suggest DPV personal-data categories for a column, by name and by value pattern."""
    out: dict[str, Suggestion] = {}
    snake = "_".join(tokens(name))
    for pattern, iri, what, conf in _NAME_RULES:
        if re.search(pattern, snake):
            out[str(iri)] = Suggestion("personal-data", str(iri), what, conf,
                                       f"column name '{name}' reads as: {what}")
    sample = [v.strip() for v in values if v and v.strip()][:200]
    if sample:
        for test, iri, what in _VALUE_RULES:
            n = sum(1 for v in sample if test(v))
            share = n / len(sample)
            if share >= 0.5:
                conf = round(min(0.99, 0.6 + 0.4 * share), 2)
                prev = out.get(str(iri))
                evidence = f"{n} of {len(sample)} sampled values match the {what} pattern"
                if prev is not None:
                    conf = min(0.99, max(conf, prev.confidence) + 0.05)
                    evidence = prev.evidence + "; " + evidence
                out[str(iri)] = Suggestion("personal-data", str(iri), what, conf, evidence)
    return sorted(out.values(), key=lambda s: -s.confidence)
