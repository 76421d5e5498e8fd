import sys

from coordinator_tui.cli import main

sys.exit(main())
