"""`python -m nginx_framework`: run the framework and exit with its code."""

import sys

from nginx_framework.cli import main

if __name__ == "__main__":
    sys.exit(main())
