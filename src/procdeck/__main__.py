"""``python -m procdeck`` runs the command line."""

from procdeck.cli import main

main()
