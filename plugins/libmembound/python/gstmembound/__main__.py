"""`python3 -m gstmembound`: the gst-membound command line."""
import sys

from .cli import main

sys.exit(main())
