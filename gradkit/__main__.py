"""``python -m gradkit`` is the ``gradkit`` command."""

import sys

from .cli import main

sys.exit(main())
