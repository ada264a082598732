"""`python -m kg.cli`: the meshkg command line."""

from kg.cli import main

main()
