"""Entry point the design card asks for: `python cli.py verify cases/`."""
import sys

from lstm_verify.cli import main

sys.exit(main())
