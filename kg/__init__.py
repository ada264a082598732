"""meshkg: a semantic metadata knowledge graph for data mesh."""

__version__ = "0.1.0"


def open_store(settings):
    """Open the store the settings name: an embedded folder, `memory`, or a SPARQL server
    (the web app's way in; the store layer itself stays below the services)."""
    from kg.store import open_store as _open
    from kg.validation import GatePolicy
    store = _open(settings)
    # what the gate refuses (settings `gate`, `refuse`), read by kg.gate.policy_of
    store.gate_policy = GatePolicy.from_settings(settings)
    return store
