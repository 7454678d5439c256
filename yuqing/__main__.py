"""``python -m yuqing``: the same command as the ``yuqing`` script, for a checkout whose
code is not (or not yet) installed."""

import sys

from yuqing.cli import main

sys.exit(main())
