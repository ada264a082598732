"""Speak other standards: draft products from data files, import dbt, ODCS, ODPS, DPDS,
DCAT, DPROD and SKOS, and export DCAT-AP 3, DPROD, ODCS and SKOS."""
