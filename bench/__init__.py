"""Benchmarks of meshkg against plain rdflib, pySHACL and owlrl on a generated data mesh."""
