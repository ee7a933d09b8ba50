import sys

from gatewarden.cli import main

sys.exit(main())
