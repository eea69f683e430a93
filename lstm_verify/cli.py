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
    if args.junit_xml:
        from . import junit
        junit.check_target(args.junit_xml, force=args.force)   # refuse before any work
    if not args.verbose:
        warnings.filterwarnings("ignore", module="keras")
    results = []
    console = _console()
    from .progress import case_progress, wants_progress
    with case_progress(console, len(files), wants_progress(console, len(files), args.json)) \
            as advance:
        for result in verify_files(files, verbose=args.verbose, max_values=args.max_values):
            results.append(result)
            advance(result.name)
            if not args.json:
                report.render(console, result, all_steps=args.all_steps)
    if args.json:
        print(report.to_json(results))
    else:
        report.render_summary(console, results)
    if args.junit_xml:
        from . import junit
        junit.write(args.junit_xml, results, force=args.force)
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

    case = load_case(args.path, max_values=args.max_values)
    report.render_trace(_console(), case, reference.run(case))
    return EXIT_OK


def cmd_validate(args):
    """Check case files (keys, types, shapes) without running anything.

    Example: lstm-verify validate cases/
    """
    from .verify import collect, load_all

    status = EXIT_OK
    for path, loaded in load_all(collect(args.paths), max_values=args.max_values):
        if isinstance(loaded, CaseError):
            print(f"error: {loaded}", file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"ok {path}: units={loaded.units} input_dim={loaded.input_dim} "
                  f"steps={loaded.steps} batch={loaded.batch}")
    return status


def cmd_new(args):
    """Write a fresh case with asymmetric one-decimal weights (no overwrite without --force).

    Example: lstm-verify new my-case.yaml --units 2 --steps 3 --seed 7 --with-expected
    """
    from .authoring import cmd_new as body
    return body(args)


def cmd_record(args):
    """Add or refresh a case's expected block; the rest of the file stays byte for byte.

    Example: lstm-verify record cases/my-case.yaml --steps
    """
    from .authoring import record
    record(args.path, steps=args.steps, force=args.force)
    print(f"recorded expected values in {args.path}")
    return EXIT_OK


def cmd_pack(args):
    """Show how a case's weights pack into Keras's kernel, recurrent_kernel and bias.

    Example: lstm-verify pack cases/textbook-per-gate.yaml
    """
    from .case import load_case
    from .textbook import packing_lines

    print("\n".join(packing_lines(load_case(args.path))))
    return EXIT_OK


def cmd_watch(args):
    """Re-verify a case each time the file is saved, with Keras kept loaded (Ctrl-C stops).

    Example: lstm-verify watch cases/two-steps-linear.yaml
    """
    from .watch import watch
    return watch(args.path, _console(), interval=args.interval)


def _add_max_values(sub):
    from .yaml_source import MAX_VALUES
    sub.add_argument("--max-values", type=int, default=MAX_VALUES, metavar="N",
                     help=f"refuse case files with more than N values after YAML alias "
                          f"expansion (default {MAX_VALUES:,}; raise it for a large case)")


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
    verify.add_argument("--junit-xml", metavar="FILE",
                        help="also write a JUnit XML report for CI (atomically; replaces an "
                             "earlier JUnit report, any other file only with --force)")
    verify.add_argument("--force", action="store_true",
                        help="let --junit-xml replace a file that is not a JUnit report")

    calc = add("calc", cmd_calc)
    calc.add_argument("path", metavar="PATH", help="a case file")

    validate = add("validate", cmd_validate)
    validate.add_argument("paths", nargs="+", metavar="PATH", help="case files or folders")
    for sub in (verify, calc, validate):
        _add_max_values(sub)

    new = add("new", cmd_new)
    new.add_argument("path", metavar="PATH", help="the case file to write")
    for flag, default in (("--units", 2), ("--input-dim", 1), ("--steps", 2), ("--batch", 1),
                          ("--seed", 0)):
        new.add_argument(flag, type=int, default=default, help=f"(default {default})")
    new.add_argument("--activation", default="tanh", help="(default tanh; null for linear)")
    new.add_argument("--recurrent-activation", default="sigmoid", help="(default sigmoid)")
    new.add_argument("--asymmetric", action="store_true",
                     help="all four gate blocks different (the default; kept for clarity)")
    new.add_argument("--symmetric", action="store_true",
                     help="four equal gate blocks (blind to gate order; asymmetric is default)")
    new.add_argument("--with-expected", action="store_true",
                     help="add the reference's values as expected, marked as computed")
    new.add_argument("--force", action="store_true", help="replace an existing file")

    rec = add("record", cmd_record)
    rec.add_argument("path", metavar="PATH", help="a case file")
    rec.add_argument("--steps", action="store_true", help="also record every step's gates")
    rec.add_argument("--force", action="store_true",
                     help="record even over a known_mistake case's wrong answer")

    pack = add("pack", cmd_pack)
    pack.add_argument("path", metavar="PATH", help="a case file")

    watch = add("watch", cmd_watch)
    watch.add_argument("path", metavar="PATH", help="a case file")
    watch.add_argument("--interval", type=float, default=0.2, metavar="SECONDS",
                       help="how often to look at the file (default 0.2)")
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
