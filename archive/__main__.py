"""``python -m archive``: the same as the ``archive`` command."""

import sys

from archive.cli import main

if __name__ == "__main__":
    sys.exit(main())
