"""`python -m sendlib` is the `sendlib` command."""

from sendlib.cli import main

if __name__ == "__main__":  # worker processes (spawned) import this module again: run nothing then
    raise SystemExit(main())
