"""`python -m shared`: see shared.cli."""

import sys

from shared.cli import main

if __name__ == "__main__":
    sys.exit(main())
