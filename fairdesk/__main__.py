"""``python -m fairdesk``: the same as the ``fairdesk`` command."""

import sys

from fairdesk.cli import main

sys.exit(main())
