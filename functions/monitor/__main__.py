"""`python -m functions.monitor`: the command line lives in cli/."""

from functions.monitor.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
