"""Kept only for webapp/imports.py, which imports IMPORTERS from here (issue 14): the
exchange commands are in kg.cli.exchange, IMPORTERS in kg.exchange. Remove this module
once webapp/imports.py imports `from kg.exchange import IMPORTERS`."""

from kg.exchange import IMPORTERS

__all__ = ["IMPORTERS"]
