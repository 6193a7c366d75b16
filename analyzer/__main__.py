"""``python -m analyzer``: the same as the ``analyzer`` command."""

import sys

from analyzer.cli import main

sys.exit(main())
