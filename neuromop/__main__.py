import sys

from neuromop.cli import main

sys.exit(main())
