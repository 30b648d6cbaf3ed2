"""`python -m olympus`."""

import sys

from olympus.cli import main

if __name__ == "__main__":
    sys.exit(main(own_process=True))
