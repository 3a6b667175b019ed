"""`python -m idp.cli`, as the `ent-idp` command."""
import sys

from idp.cli import main

sys.exit(main())
