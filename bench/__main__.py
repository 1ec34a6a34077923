import sys

from bench.sync_reconcile import main

sys.exit(main())
