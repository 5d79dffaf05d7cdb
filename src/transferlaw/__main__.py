"""Run the command-line interface: ``python -m transferlaw``."""

from .cli import main

main()
