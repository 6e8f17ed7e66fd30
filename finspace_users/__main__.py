"""``python -m finspace_users``: the same as the ``finspace-users`` console script."""

import sys

from .cli import main

sys.exit(main())
