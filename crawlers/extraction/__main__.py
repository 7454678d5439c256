"""``python -m crawlers.extraction FILE...`` (same as ``yuqing extract``)."""

import sys

from crawlers.extraction.cli import main

sys.exit(main(sys.argv[1:], sys.stdin, sys.stdout))
