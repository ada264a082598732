"""Entry point: python -m bench --n 1000 [--steps load,query,...]."""

import sys

from bench.run import main

sys.exit(main())
