"""Suggest what a column means: a business concept from the store's SKOS labels, and
DPV personal-data categories from column names, descriptions, tags and value patterns,
each with evidence and a confidence between 0 and 1.

`suggest_field` is the one entry point the importers use (draft, dbt): every source of
columns gets the same suggestions from the same evidence. Evidence names columns, labels
and patterns, never a value read from the data.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import URIRef

from kg.exchange.model import Suggestion
from kg.exchange.queries import load
from kg.namespaces import DPV, ONTOLOGY_GRAPH, PD, VOCAB_GRAPH_PREFIX
from kg.store.base import Store

_LABEL_WEIGHT = {"prefLabel": 0.95, "altLabel": 0.9, "hiddenLabel": 0.85}
#: name parts that say how a concept is referenced, not which concept it is
_SUFFIXES = {"id", "key", "code", "no", "nr", "num", "number", "ref", "ts", "at", "date",
             "uuid", "pk", "fk", "name", "type"}
#: a concept named in a column's description: weaker evidence than its name
_MENTION = 0.6
_POSSESSIVE = re.compile(r"['\u2019]s\b")


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

    def match_text(self, name: str, text: str | None) -> list[Suggestion]:
        """Suggest the concepts a column's description names (longest label first).

        Prose is looser evidence than a column name: a mention is a suggestion below
        ASSERT_CONFIDENCE, and a one-word label counts only as a prefLabel (the demo's
        one-word altLabels, "Test" or "Target", are common words in descriptions).
        """
        if not text or not self.labels:
            return []
        words = [_singular((w,))[0] for w in tokens(_POSSESSIVE.sub("", str(text)))]
        longest = max(len(k) for k in self.labels)
        out: dict[str, Suggestion] = {}
        i = 0
        while i < len(words):
            for n in range(min(longest, len(words) - i), 0, -1):
                hits = [(iri, kind, label) for iri, kind, label
                        in self.labels.get(tuple(words[i:i + n]), [])
                        if n > 1 or kind == "prefLabel"]
                for iri, kind, label in hits:
                    conf = round(_MENTION * _LABEL_WEIGHT.get(kind, 0.8), 2)
                    if iri not in out or out[iri].confidence < conf:
                        out[iri] = Suggestion("concept", iri, label, conf,
                                              f"the description of '{name}' mentions the "
                                              f"{kind} '{label}'")
                if hits:
                    i += n - 1
                    break
            i += 1
        return sorted(out.values(), key=lambda s: -s.confidence)

    def labels_of(self, iri: str) -> str:
        """Return one label of a concept, the prefLabel if there is one."""
        best = ""
        for entries in self.labels.values():
            for c, kind, label in entries:
                if c == iri and (kind == "prefLabel" or not best):
                    best = label
        return best or iri


# -- personal data ---------------------------------------------------------------------

#: patterns on the snake_case name; (^|_) and (_|$) keep words whole ("zip" is no IP
#: address, "hotel" no telephone, "ethnicity" no city, "essex" no sex)
_NAME_RULES: list[tuple[str, URIRef, str, float]] = [
    (r"e_?mail|mail_?addr", PD.EmailAddress, "email address", 0.9),
    (r"phone|(^|_)mobile(_(no|num|number))?$|(^|_)tel(ephone)?(_?n(o|um|umber))?$|"
     r"(^|_)fax(_|$)", PD.TelephoneNumber, "telephone number", 0.85),
    (r"(first|last|given|family|middle|full|sur|maiden|nick)_?name|^name$|surname",
     PD.Name, "name", 0.85),
    (r"(^|_)(street|(?<!mail_)(?<!ip_)(?<!remote_)(?<!mac_)(address|addr)|"
     r"house_?n(o|um|umber)?)(_|$)", PD.PhysicalAddress, "postal address", 0.7),
    (r"(^|_)(zip(_?code)?|post_?code|postal_?code|plz)(_|$)", PD.PostalCode, "postal code",
     0.7),
    (r"(^|_)city(_|$)", PD.City, "city", 0.6),
    (r"(^|_)passport", PD.Passport, "passport number", 0.85),
    (r"(^|_)(ssn|nino|bsn)(_|$)|social_?security|national_?id|tax_?id|"
     r"steuer_?id|personal_?number|id_?card", PD.OfficialID, "national identifier", 0.85),
    (r"iban|bank_?account|account_?number", PD.BankAccount, "bank account", 0.85),
    (r"(credit|debit)?_?card_?(number|no|num)|(^|_)pan$", PD.PaymentCardNumber,
     "card number", 0.75),
    (r"(^|_)ip(_?(address|addr))?$|^ip_|client_?ip|remote_?addr", PD.IPAddress,
     "IP address", 0.85),
    (r"(birth|dob|geburt)", PD.BirthDate, "date of birth", 0.9),
    (r"gender|(^|_)sex$", PD.Gender, "gender", 0.8),
    (r"^age$|_age$", PD.Age, "age", 0.7),
    (r"ethnic|(^|_)race$", PD.Ethnicity, "ethnicity", 0.85),
    (r"nationality", PD.Nationality, "nationality", 0.8),
    (r"citizenship", PD.Citizenship, "citizenship", 0.8),
    (r"religio", PD.Religion, "religion", 0.85),
    (r"marital", PD.MaritalStatus, "marital status", 0.85),
    (r"(^|_)(salary|salaries|wages?)(_|$)", PD.Salary, "salary", 0.75),
    (r"user_?name|(^|_)login(_?(id|name))?$", PD.Username, "user name", 0.8),
    (r"password|passwd|(^|_)pwd(_|$)", PD.Password, "password", 0.9),
    (r"(^|_)mac_?(address|addr)$", PD.MACAddress, "MAC address", 0.85),
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


def looks_like_personal_value(value: str) -> bool:
    """Tell whether one value has the pattern of personal data (e-mail, IBAN, IP, …)."""
    v = value.strip()
    return bool(v) and any(test(v) for test, _iri, _what in _VALUE_RULES)


#: phrases of a column description that name a category (prose, so word-bounded phrases,
#: not the name rules: "paid by credit card" is no card number, "hotel" no telephone)
_TEXT_RULES: list[tuple[str, URIRef, str]] = [
    (r"\be ?mails?( address(es)?)?\b", PD.EmailAddress, "email address"),
    (r"\b(tele)?phone( numbers?)?\b|\bmobile (numbers?|phones?)\b|\bfax\b",
     PD.TelephoneNumber, "telephone number"),
    (r"\b(first|last|given|family|middle|full|maiden|nick|sur) ?names?\b|"
     r"\b(person|people|customer|user|employee|patient|client|contact|member)s? names?\b",
     PD.Name, "name"),
    (r"\b(postal|street|home|mailing|billing|shipping|delivery|post) address(es)?\b",
     PD.PhysicalAddress, "postal address"),
    (r"\bpost ?codes?\b|\bzip ?codes?\b|\bpostal codes?\b", PD.PostalCode, "postal code"),
    (r"\bpassport\b", PD.Passport, "passport number"),
    (r"\bsocial security\b|\bnational (id|identity|insurance)\b|"
     r"\btax (id|identification)\b|\bdrivers? licen[cs]es?\b", PD.OfficialID,
     "national identifier"),
    (r"\biban\b|\bbank account\b", PD.BankAccount, "bank account"),
    (r"\b(credit|debit|payment) card numbers?\b", PD.PaymentCardNumber, "card number"),
    (r"\bip address(es)?\b", PD.IPAddress, "IP address"),
    (r"\bdates? of birth\b|\bbirth ?dates?\b|\bbirthdays?\b", PD.BirthDate,
     "date of birth"),
    (r"\bgender\b", PD.Gender, "gender"),
    (r"\b(person|customer|user|employee|patient|client|member) age\b|\bage in years\b",
     PD.Age, "age"),
    (r"\bethnic(ity|ities| origin)?\b|\brace\b", PD.Ethnicity, "ethnicity"),
    (r"\bnationality\b", PD.Nationality, "nationality"),
    (r"\breligio(n|us)\b", PD.Religion, "religion"),
    (r"\bmarital status\b", PD.MaritalStatus, "marital status"),
    (r"\bsalary\b|\bsalaries\b|\bwages?\b", PD.Salary, "salary"),
    (r"\bpasswords?\b", PD.Password, "password"),
]
#: what declares personal data without naming a category: in prose, phrases ("case
#: sensitive" or a "phi angle" declare nothing); in a tag or meta key, single words too
_GENERIC_TEXT = re.compile(r"\b(pii|gdpr|personal (data|information)|personally "
                           r"identifiable|sensitive (personal )?data)\b")
_GENERIC_TAG = re.compile(r"\b(pii|phi|gdpr|personal|personally identifiable|sensitive)\b")
_TEXT_CONFIDENCE = 0.75
#: table names whose rows are people (singular words): their bare `name` is a person's
_PEOPLE = {"customer", "user", "person", "people", "employee", "member", "patient",
           "client", "contact", "staff", "student", "author", "participant", "subscriber",
           "passenger", "guest", "applicant", "candidate", "player", "recipient", "sender",
           "receiver", "buyer", "party", "individual", "worker", "volunteer", "owner"}
_TAG_CONFIDENCE = 0.8


def _combine(out: dict[str, Suggestion], iri: str, what: str, conf: float,
             evidence: str) -> None:
    """Add a suggestion, or strengthen the one already there with more evidence."""
    prev = out.get(iri)
    if prev is None:
        out[iri] = Suggestion("personal-data", iri, what, conf, evidence)
    else:
        out[iri] = Suggestion("personal-data", iri, prev.label,
                              round(min(0.99, max(conf, prev.confidence) + 0.05), 2),
                              prev.evidence + "; " + evidence)


def _about_things(table: str | None) -> bool:
    """Tell whether a table's name says its rows are things, not people."""
    if not table:
        return False  # no context: a bare `name` may be a person's
    return not {_singular((w,))[0] for w in tokens(table)} & _PEOPLE


def personal_data(name: str, values: Sequence[str] = (), description: str | None = None,
                  tags: Sequence[str] = (), *, table: str | None = None) -> list[Suggestion]:
    """Suggest DPV personal-data categories for a column by its name, its description,
    the tags its source gives it (dbt tags and meta) and the pattern of its values; the
    name of its table tells whether a bare `name` column names a person."""
    out: dict[str, Suggestion] = {}
    snake = "_".join(tokens(name))
    for pattern, iri, what, conf in _NAME_RULES:
        if re.search(pattern, snake):
            if snake == "name" and _about_things(table):
                continue  # the name of a product, a currency, a store
            _combine(out, str(iri), what, conf, f"column name '{name}' reads as: {what}")
    prose = " ".join(tokens(_POSSESSIVE.sub("", description))) if description else ""
    for pattern, iri, what in _TEXT_RULES:
        if prose and re.search(pattern, prose):
            _combine(out, str(iri), what, _TEXT_CONFIDENCE,
                     f"the description of '{name}' speaks of: {what}")
    declared = []
    said = _GENERIC_TEXT.search(prose) if prose else None
    if said:
        what = said.group(0)
        declared.append(f"the description of '{name}' calls it "
                        f"{what.upper() if what in ('pii', 'gdpr') else what}")
    for tag in tags:
        words = " ".join(tokens(tag))
        if _GENERIC_TAG.search(words):
            declared.append(f"the source tags '{name}' as '{tag}'")
    if declared:
        # a declaration says "personal", not which category: strengthen what the name
        # and description found, or suggest DPV's top category when they found none
        if out:
            for iri in list(out):
                _combine(out, iri, out[iri].label, _TAG_CONFIDENCE, "; ".join(declared))
        else:
            out[str(DPV.PersonalData)] = Suggestion(
                "personal-data", str(DPV.PersonalData), "personal data", _TAG_CONFIDENCE,
                "; ".join(declared))
    sample = [v.strip() for v in values if v and v.strip()][:200]
    if sample:
        for test, iri, what in _VALUE_RULES:
            n = sum(1 for v in sample if test(v))
            share = n / len(sample)
            if share >= 0.5:
                conf = round(min(0.99, 0.6 + 0.4 * share), 2)
                _combine(out, str(iri), what, conf,
                         f"{n} of {len(sample)} sampled values match the {what} pattern")
    return sorted(out.values(), key=lambda s: -s.confidence)


def suggest_field(index: ConceptIndex, name: str, *, description: str | None = None,
                  values: Sequence[str] = (), tags: Sequence[str] = (),
                  table: str | None = None) -> list[Suggestion]:
    """Suggest the concepts and personal-data categories of one column, with evidence:
    concepts from its name, its values and its description (at most three, the best
    first), personal data from its name, description, tags and values (`table`: the name
    of the table or file it is a column of)."""
    concepts: dict[str, Suggestion] = {}
    for found in (index.match_name(name)[:3], index.match_values(name, values)[:2],
                  index.match_text(name, description)[:3]):
        for s in found:
            prev = concepts.get(s.target)
            if prev is None:
                concepts[s.target] = s
            else:  # two kinds of evidence agree: say both, trust a little more
                concepts[s.target] = Suggestion(
                    "concept", s.target, prev.label,
                    round(min(0.99, max(s.confidence, prev.confidence) + 0.05), 2),
                    prev.evidence + "; " + s.evidence)
    best = sorted(concepts.values(), key=lambda s: -s.confidence)[:3]
    return best + personal_data(name, values, description, tags, table=table)
