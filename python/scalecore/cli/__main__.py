"""`python -m scalecore.cli`."""

import sys

from . import main

sys.exit(main())
