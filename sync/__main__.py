"""`python -m sync` runs the careersync command line."""

from sync.cli import main

main()
