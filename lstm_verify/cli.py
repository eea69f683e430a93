"""Command line: parse arguments, call the library, render, exit.

Exit codes: 0 all cases pass (a confirmed known mistake is a pass), 1 a mismatch,
2 bad input or usage.
"""

import argparse
import sys

from .errors import CaseError

EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT = 0, 1, 2


def _console(args=None):
    from rich.console import Console
    return Console(highlight=False, soft_wrap=False)


def cmd_verify(args):
    """Check cases against the reference calculator and a real keras.layers.LSTM.

    Example: lstm-verify verify cases/
    """
    import warnings

    from . import report
    from .verify import collect, verify_files

    files = collect(args.paths)
    if not args.verbose:
        warnings.filterwarnings("ignore", module="keras")
    results = []
    console = _console()
    for result in verify_files(files, verbose=args.verbose):
        results.append(result)
        if not args.json:
            report.render(console, result, all_steps=args.all_steps)
    if args.json:
        print(report.to_json(results))
    else:
        report.render_summary(console, results)
    if any(r.status == "error" for r in results):
        return EXIT_BAD_INPUT
    if any(r.status == "fail" for r in results):
        return EXIT_MISMATCH
    return EXIT_OK


def cmd_calc(args):
    """Show the reference calculator's full trace for a case (no TensorFlow needed).

    Example: lstm-verify calc cases/seed-article-corrected.yaml
    """
    from . import reference, report
    from .case import load_case

    case = load_case(args.path)
    report.render_trace(_console(), case, reference.run(case))
    return EXIT_OK


def cmd_validate(args):
    """Check case files (keys, types, shapes) without running anything.

    Example: lstm-verify validate cases/
    """
    from .verify import collect, load_all

    status = EXIT_OK
    for path, loaded in load_all(collect(args.paths)):
        if isinstance(loaded, CaseError):
            print(f"error: {loaded}", file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"ok {path}: units={loaded.units} input_dim={loaded.input_dim} "
                  f"steps={loaded.steps} batch={loaded.batch}")
    return status


def build_parser():
    parser = argparse.ArgumentParser(
        prog="lstm-verify",
        description="Check hand-worked LSTM arithmetic against a reference calculator and a "
                    "real keras.layers.LSTM, gate by gate.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name, func, **kwargs):
        doc = func.__doc__.strip()
        sub = commands.add_parser(name, help=doc.splitlines()[0], description=doc,
                                  formatter_class=argparse.RawDescriptionHelpFormatter,
                                  **kwargs)
        sub.set_defaults(func=func)
        return sub

    verify = add("verify", cmd_verify)
    verify.add_argument("paths", nargs="+", metavar="PATH", help="case files or folders")
    verify.add_argument("--json", action="store_true", help="print a machine-readable report")
    verify.add_argument("--all-steps", action="store_true",
                        help="show every step's table, even for long cases")
    verify.add_argument("--verbose", action="store_true",
                        help="let TensorFlow's own log lines through")

    calc = add("calc", cmd_calc)
    calc.add_argument("path", metavar="PATH", help="a case file")

    validate = add("validate", cmd_validate)
    validate.add_argument("paths", nargs="+", metavar="PATH", help="case files or folders")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
