"""``python -m industryos.workers``: run one spawned worker (see :mod:`.child`)."""

import sys

from industryos.workers.child import main

sys.exit(main())
