"""`python -m sendlib` is the `sendlib` command."""

from sendlib.cli import main

raise SystemExit(main())
