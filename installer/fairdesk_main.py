"""Entry point of the frozen FairDesk build: the same command line as the ``fairdesk`` script."""

import sys

from ui.program import main

if __name__ == "__main__":
    sys.exit(main())
