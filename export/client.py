"""The serving client, installed with tfal as the `tfal-client` command (`tfal.client`); this
file keeps `python export/client.py ...` working. Usage: `tfal-client --help`."""

import sys

from tfal.client import main

if __name__ == "__main__":
    sys.exit(main())
