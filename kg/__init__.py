"""meshkg: a semantic metadata knowledge graph for data mesh."""

__version__ = "0.1.0"
