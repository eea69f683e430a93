"""Command line: parse arguments, call the library, render, exit.

Exit codes: 0 all cases pass (a confirmed known mistake is a pass), 1 a mismatch,
2 bad input or usage.
"""

import argparse
import math
import os
import sys

from .errors import CaseError
from .render.safe_text import visible

EXIT_OK, EXIT_MISMATCH, EXIT_BAD_INPUT = 0, 1, 2
EXIT_CLOSED_PIPE = 141   # 128 + SIGPIPE, what a shell reports for a reader that went away
NEW_MAX_SIZE = 100_000   # new --units, --steps, ...: far past any hand-checked case


def _console(args=None):
    from rich.console import Console

    class ClosedPipeAware(Console):
        def on_broken_pipe(self):   # rich would exit 1, the code of a mismatch
            self.quiet = True
            raise BrokenPipeError

    # emoji=False: an author's ':x:' is text, not an emoji code
    return ClosedPipeAware(highlight=False, soft_wrap=False, emoji=False)


def cmd_verify(args):
    """Check cases against the reference calculator and the real Keras layer (LSTM, GRU, SimpleRNN).

    Example: lstm-verify verify cases/
    """
    import functools
    import warnings

    from . import api
    from .render import report

    if args.junit_xml:
        from .render import junit
        junit.check_target(args.junit_xml, force=args.force)   # refuse before any work
    console = _console()
    look = report.Look(width=console.width, color_system=console.color_system,
                       terminal=console.is_terminal, quiet=args.quiet,
                       failures=args.failures, all_steps=args.all_steps)
    # A progress bar owns an interactive terminal: reports are drawn here then.  Else each
    # is drawn where its case is verified (side by side, with worker processes).
    interactive = console.is_terminal and not console.is_dumb_terminal
    render = None if args.json or interactive else functools.partial(report.rendered,
                                                                      look=look)
    suite = api.verify_files(args.paths, against=args.against, jobs=args.jobs,
                             max_values=args.max_values, verbose=args.verbose,
                             _render=render)
    if suite.skipped:
        print(visible(suite.skipped_note), file=sys.stderr)
    if not args.verbose:
        warnings.filterwarnings("ignore", module="keras")
    results = []
    from .render.progress import case_progress, wants_progress
    with case_progress(console, len(suite), wants_progress(console, len(suite), args.json)) \
            as advance:
        for verification in suite:
            result = verification.result
            results.append(result)
            advance(result.name)
            if args.json:
                continue
            if result.rendered is not None:
                console.file.write(result.rendered)
            else:
                report.show(console, result, look)
    if args.json:
        print(report.to_json(results))
    else:
        report.render_summary(console, results)
    if args.junit_xml:
        from .render import junit
        junit.write(args.junit_xml, results, force=args.force)
    if any(r.status == "error" for r in results):
        return EXIT_BAD_INPUT
    if any(r.status == "fail" for r in results):
        return EXIT_MISMATCH
    return EXIT_OK


def cmd_calc(args):
    """Show the reference calculator's full trace for a case (no TensorFlow needed).

    Tables fit the terminal; a layer of more than 8 units shows its first 8 in them
    (--all-units shows every unit).
    Example: lstm-verify calc cases/seed-article-corrected.yaml
    """
    from . import forward
    from .render import trace as trace_tables
    from .case import load_case

    case = load_case(args.path, max_values=args.max_values)
    console = _console()
    trace = forward.run(case)
    trace_tables.render_trace(console, case, trace, all_units=args.all_units)
    if case.backward is not None:   # the reference's gradients too
        from . import backward
        from .render import report_backward
        report_backward.render_trace(console, case, backward.run(case, trace),
                                     all_units=args.all_units)
    return EXIT_OK


def cmd_validate(args):
    """Check case files (keys, types, shapes) without running Keras.

    Also warns (on stderr; not an error) when a case cannot tell gate orders apart.
    Example: lstm-verify validate cases/
    """
    from .diagnose.symmetry import warning
    from .suite import collect, load_all

    status = EXIT_OK
    found = collect(args.paths)
    if found.skipped:
        print(visible(found.skipped_note), file=sys.stderr)
    for path, loaded in load_all(found.files, max_values=args.max_values):
        if isinstance(loaded, CaseError):
            print(f"error: {visible(loaded)}", file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(visible(f"ok {path}: units={loaded.units} input_dim={loaded.input_dim} "
                          f"steps={loaded.steps} batch={loaded.batch}"))
            blind = warning(loaded)
            if blind:
                print(f"warning: {visible(blind)}", file=sys.stderr)
    return status


def cmd_new(args):
    """Write a fresh case with asymmetric one-decimal weights (no overwrite without --force).

    Example: lstm-verify new my-case.yaml --units 2 --steps 3 --seed 7 --with-expected
    Example: lstm-verify new my-gru.yaml --cell gru --no-reset-after
    """
    from .authoring import cmd_new as body
    return body(args)


def cmd_record(args):
    """Add or refresh a case's expected block; the rest of the file stays byte for byte.

    Example: lstm-verify record cases/my-case.yaml --steps
    """
    from .authoring import record
    record(args.path, steps=args.steps, force=args.force, tell=lambda line: print(visible(line)))
    print(visible(f"recorded expected values in {args.path}"))
    return EXIT_OK


def cmd_pack(args):
    """Show how a case's weights pack into Keras's kernel, recurrent_kernel and bias.

    Example: lstm-verify pack cases/textbook-per-gate.yaml
    """
    from .case import load_case
    from .case.textbook import packing_lines

    print(visible("\n".join(packing_lines(load_case(args.path)))))
    return EXIT_OK


def cmd_watch(args):
    """Re-verify a case each time the file is saved, with Keras kept loaded (Ctrl-C stops).

    Example: lstm-verify watch cases/two-steps-linear.yaml
    """
    from .watch import watch
    return watch(args.path, _console(), interval=args.interval)


def cmd_inspect(args):
    """List a saved model's LSTM, GRU and SimpleRNN layers (nested, stacked,
    Bidirectional) with their options and weights by gate.

    Loads .keras and .h5 files with Keras's safe mode: a model holding code (a Lambda
    layer, custom functions) is refused unless --unsafe, which runs code from the file.
    Example: lstm-verify inspect model.keras
    """
    import json

    from .saved_models.inspection import describe_model, inspect_lines
    from .saved_models import load_model

    _readable(args.model, "a saved Keras model (.keras or .h5)")
    description = describe_model(args.model, load_model(args.model, unsafe=args.unsafe))
    print(json.dumps(description, indent=1) if args.json
          else visible("\n".join(inspect_lines(description))))
    return EXIT_OK


def cmd_extract(args):
    """Write a case from one LSTM, GRU or SimpleRNN layer of a saved model, run on your data.

    inputs = the layer's input as the model computed it; expected = the layer's own
    output (h, an LSTM's c, and the sequence when it returns sequences). A Bidirectional layer
    gives CASE.forward.yaml and CASE.backward.yaml. Arrays with more than --inline-max
    values go to a sibling CASE.npz. Then run verify on the case.
    Example: lstm-verify extract model.keras --layer lstm --input x.npy -o lstm.yaml
    """
    from .saved_models.extract import extract

    _readable(args.model, "a saved Keras model (.keras or .h5)")
    _readable(args.input, "the model's input as .npy, .npz or .csv")
    _writable(args.output)
    for path in extract(args.model, args.layer, args.input, args.output, key=args.key,
                        force=args.force, unsafe=args.unsafe, inline_max=args.inline_max):
        print(visible(f"wrote {path}"))
    return EXIT_OK


def _readable(path, what):
    """Refuse a path that is not a regular file before any work (never blocks on a FIFO)."""
    from .reading import problem
    why = problem(path, what)
    if why:
        raise CaseError(why, path)


def _writable(path):
    """Refuse an output that is not a regular file, or cannot be written, before any work."""
    from .files import check_target
    check_target(path, overwrite=True)   # replacing an existing file is the command's rule


def whole(low, high=None):
    """An argparse type: a whole number from ``low`` (to ``high``), else a usage error."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"is '{text}', expected a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"
            raise argparse.ArgumentTypeError(f"is {value}, expected a whole number {bounds}")
        return value
    return parse


def finite(positive=False, high=None):
    """An argparse type: a finite number (greater than 0 when ``positive``, at most
    ``high``)."""
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"is '{text}', expected a number") from None
        if (not math.isfinite(value) or (positive and value <= 0)
                or (high is not None and value > high)):
            want = ("a finite number" + (" greater than 0" if positive else "")
                    + (f" and at most {high:g}" if high is not None else ""))
            raise argparse.ArgumentTypeError(f"is {text}, expected {want}")
        return value
    return parse


def _add_max_values(sub):
    from .case.yaml_source import MAX_VALUES
    sub.add_argument("--max-values", type=whole(1), default=MAX_VALUES, metavar="N",
                     help=f"refuse case files with more than N values after YAML alias "
                          f"expansion (default {MAX_VALUES:,}; raise it for a large case)")


def cmd_explain(args):
    """Walk through a case's arithmetic step by step, for a class (no TensorFlow needed).

    Exact fractions (2/3, 7/6) when every activation is piecewise linear and every
    number is a short decimal; otherwise decimals to --precision places. Big cases
    are summarised, and the walkthrough says what it left out.
    Example: lstm-verify explain cases/batch-of-two.yaml
    """
    from .case import load_case
    from .render.explain import walkthrough

    case = load_case(args.path, max_values=args.max_values)
    print(visible("\n".join(walkthrough(case, precision=args.precision))))
    return EXIT_OK


def cmd_export(args):
    """Write a worked solution (every gate at every step) as Markdown, LaTeX or HTML.

    HTML is one self-contained page with a cell diagram and per-step heat maps. Prints
    to stdout, or writes -o FILE atomically (an existing file only with --force).
    Example: lstm-verify export cases/two-steps-linear.yaml --format html -o two-steps.html
    """
    from .render.export import export

    if args.output:
        _writable(args.output)
    written = export(args.path, args.format, output=args.output, force=args.force,
                     precision=args.precision, max_values=args.max_values,
                     with_keras=args.with_keras)
    if written:
        print(visible(f"wrote {written}"))
    return EXIT_OK


def cmd_convert(args):
    """Write a case with its weights in another framework's layout (the rest unchanged).

    Layouts: keras, pytorch, onnx, cudnn, tf1. The mapping (which Keras block goes
    where, what is transposed) goes to stderr; the case to stdout, or to -o FILE
    (atomically; an existing file only with --force).
    Example: lstm-verify convert cases/two-steps-linear.yaml --to pytorch -o torch.yaml
    """
    from .convert import run

    if args.output:
        _writable(args.output)
    text, mapping = run(args.path, args.to, output=args.output, force=args.force,
                        forget_bias=args.forget_bias, max_values=args.max_values)
    print(visible("\n".join(mapping)), file=sys.stderr)
    if text is not None:
        sys.stdout.write(text)
    return EXIT_OK


def build_parser(only=None):
    """The command line's parser: every command, or ``only`` the one named on the command
    line (building the others' arguments cost every start-up ~5 ms; their names and
    summaries are needed only by the top-level --help and a misspelt command)."""
    parser = argparse.ArgumentParser(
        prog="lstm-verify",
        description="Check hand-worked LSTM, GRU and SimpleRNN arithmetic against a "
                    "reference calculator and the real Keras layer, gate by gate.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (func, arguments) in COMMANDS.items():
        if only not in (None, name):
            continue
        doc = func.__doc__.strip()
        sub = commands.add_parser(name, help=doc.splitlines()[0], description=doc,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.set_defaults(func=func)
        arguments(sub)
    return parser


def _command_in(argv):
    """The command named by ``argv`` (its first word that is not an option), if any."""
    words = [w for w in (sys.argv[1:] if argv is None else argv) if not w.startswith("-")]
    return words[0] if words and words[0] in COMMANDS else None


UNSAFE_HELP = ("load a model that holds Python code (Lambda layers, custom functions): "
               "this RUNS code from the file; only for files you trust")
PRECISION_HELP = "decimal places when the arithmetic is not exact (default 4)"


def _verify_arguments(sub):
    sub.add_argument("paths", nargs="+", metavar="PATH", help="case files or folders")
    sub.add_argument("--json", action="store_true", help="print a machine-readable report")
    brevity = sub.add_mutually_exclusive_group()
    brevity.add_argument("--quiet", action="store_true",
                         help="one line per case: status, file and verdict")
    brevity.add_argument("--failures", action="store_true",
                         help="tables only for the cases that did not pass; one line for "
                              "the others")
    sub.add_argument("--all-steps", action="store_true",
                     help="show every step's table, even for long cases")
    sub.add_argument("--verbose", action="store_true",
                     help="let TensorFlow's own log lines through")
    sub.add_argument("--junit-xml", metavar="FILE",
                     help="also write a JUnit XML report for CI (atomically; replaces an "
                          "earlier JUnit report, any other file only with --force)")
    sub.add_argument("--against", metavar="ENGINES", default="",
                     help="also run each case through other implementations and compare "
                          "them with the reference: any of keras (always runs), torch, "
                          "onnxruntime, keras-jax, keras-torch, comma-separated")
    sub.add_argument("--force", action="store_true",
                     help="let --junit-xml replace a file that is not a JUnit report")
    sub.add_argument("--jobs", type=whole(1, 64), default=None, metavar="N",
                     help="verify with N processes side by side, each starting "
                          "TensorFlow once (default: more than one only for 16 or more "
                          "cases with idle cores)")
    _add_max_values(sub)


def _calc_arguments(sub):
    sub.add_argument("path", metavar="PATH", help="a case file")
    sub.add_argument("--all-units", action="store_true",
                     help="a table column for every unit of a wide layer (by default the "
                          "first 8)")
    _add_max_values(sub)


def _validate_arguments(sub):
    sub.add_argument("paths", nargs="+", metavar="PATH", help="case files or folders")
    _add_max_values(sub)


def _new_arguments(sub):
    sub.add_argument("path", metavar="PATH", help="the case file to write")
    for flag, default in (("--units", 2), ("--input-dim", 1), ("--steps", 2), ("--batch", 1)):
        sub.add_argument(flag, type=whole(1, NEW_MAX_SIZE), default=default,
                         help=f"(default {default})")
    sub.add_argument("--seed", type=whole(0, 2 ** 63 - 1), default=0, help="(default 0)")
    sub.add_argument("--cell", default="lstm", choices=("lstm", "gru", "simple_rnn"),
                     help="the recurrent cell (default lstm)")
    sub.add_argument("--reset-after", default=True, action=argparse.BooleanOptionalAction,
                     help="GRU only: the reset gate after the recurrent matmul (Keras's "
                          "default; --no-reset-after for before)")
    sub.add_argument("--activation", default="tanh", help="(default tanh; null for linear)")
    sub.add_argument("--recurrent-activation", default="sigmoid",
                     help="(default sigmoid; LSTM and GRU)")
    sub.add_argument("--asymmetric", action="store_true",
                     help="all gate blocks different (the default; kept for clarity)")
    sub.add_argument("--symmetric", action="store_true",
                     help="equal gate blocks (blind to gate order; asymmetric is default)")
    sub.add_argument("--backward", action="store_true",
                     help="also ask for the backward pass: an upstream gradient on h (with "
                          "--with-expected, the reference's gradients too)")
    sub.add_argument("--with-expected", action="store_true",
                     help="add the reference's values as expected, marked as computed")
    sub.add_argument("--force", action="store_true", help="replace an existing file")


def _record_arguments(sub):
    sub.add_argument("path", metavar="PATH", help="a case file")
    sub.add_argument("--steps", action="store_true", help="also record every step's gates")
    sub.add_argument("--force", action="store_true",
                     help="record even over a known_mistake case's wrong answer, or over "
                          "hand-written numbers that differ from the reference's")


def _pack_arguments(sub):
    sub.add_argument("path", metavar="PATH", help="a case file")


def _watch_arguments(sub):
    sub.add_argument("path", metavar="PATH", help="a case file")
    sub.add_argument("--interval", type=finite(positive=True, high=86400), default=0.2,
                     metavar="SECONDS", help="how often to look at the file (default 0.2)")


def _inspect_arguments(sub):
    sub.add_argument("model", metavar="MODEL", help="a saved model, .keras or .h5")
    sub.add_argument("--json", action="store_true", help="print JSON instead of text")
    sub.add_argument("--unsafe", action="store_true", help=UNSAFE_HELP)


def _extract_arguments(sub):
    sub.add_argument("model", metavar="MODEL", help="a saved model, .keras or .h5")
    sub.add_argument("--layer", required=True, metavar="NAME",
                     help="the recurrent layer: its path from inspect, or a unique name")
    sub.add_argument("--input", required=True, metavar="DATA",
                     help="the model's input: .npy, .npz or .csv (rows = time steps)")
    sub.add_argument("--key", metavar="NAME", help="which array of a .npz input "
                     "(default: the first)")
    sub.add_argument("-o", "--output", required=True, metavar="CASE.yaml",
                     help="the case file to write")
    sub.add_argument("--inline-max", type=whole(0), default=256, metavar="N",
                     help="arrays with more than N values go to a sibling .npz "
                          "(default 256; 0 puts every array there)")
    sub.add_argument("--force", action="store_true", help="replace existing files")
    sub.add_argument("--unsafe", action="store_true", help=UNSAFE_HELP)


def _explain_arguments(sub):
    sub.add_argument("path", metavar="PATH", help="a case file")
    sub.add_argument("--precision", type=int, default=4, metavar="N", help=PRECISION_HELP)
    _add_max_values(sub)


def _export_arguments(sub):
    sub.add_argument("path", metavar="PATH", help="a case file")
    sub.add_argument("--format", required=True, choices=("markdown", "latex", "html"))
    sub.add_argument("-o", "--output", metavar="FILE",
                     help="write FILE (atomically) instead of printing")
    sub.add_argument("--force", action="store_true", help="replace an existing FILE")
    sub.add_argument("--precision", type=int, default=4, metavar="N", help=PRECISION_HELP)
    sub.add_argument("--with-keras", action="store_true",
                     help="also run the Keras layer and add its values (loads TensorFlow)")
    _add_max_values(sub)


def _convert_arguments(sub):
    sub.add_argument("path", metavar="CASE", help="a case file")
    sub.add_argument("--to", required=True, metavar="LAYOUT",
                     choices=("keras", "pytorch", "onnx", "cudnn", "tf1"),
                     help="keras, pytorch, onnx, cudnn or tf1")
    sub.add_argument("-o", "--output", metavar="FILE",
                     help="write FILE (atomically) instead of printing")
    sub.add_argument("--force", action="store_true", help="replace an existing FILE")
    sub.add_argument("--forget-bias", type=finite(), default=0.0, metavar="X",
                     help="tf1 only: write bias_f - X and forget_bias: X (default 0: "
                          "exact; TF1's LSTMCell default is 1.0)")
    _add_max_values(sub)


COMMANDS = {
    "verify": (cmd_verify, _verify_arguments),
    "calc": (cmd_calc, _calc_arguments),
    "validate": (cmd_validate, _validate_arguments),
    "new": (cmd_new, _new_arguments),
    "record": (cmd_record, _record_arguments),
    "pack": (cmd_pack, _pack_arguments),
    "watch": (cmd_watch, _watch_arguments),
    "inspect": (cmd_inspect, _inspect_arguments),
    "extract": (cmd_extract, _extract_arguments),
    "explain": (cmd_explain, _explain_arguments),
    "export": (cmd_export, _export_arguments),
    "convert": (cmd_convert, _convert_arguments),
}


def main(argv=None):
    """Run one command; every user error ends here as one paragraph on stderr and exit 2."""
    try:
        args = build_parser(_command_in(argv)).parse_args(argv)
    except SystemExit as exc:   # a usage error (argparse printed it) or --help
        return exc.code
    try:
        status = args.func(args)
        sys.stdout.flush()   # a reader that went away shows here, not at interpreter exit
        return status
    except CaseError as exc:
        print(f"error: {visible(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:   # `verify ... | head`: the reader has what it wanted
        _silence_stdout()
        return EXIT_CLOSED_PIPE


def _silence_stdout():
    """Point stdout at /dev/null so Python's final flush does not fail a second time."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
