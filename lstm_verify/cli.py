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
    """Check cases against the reference calculator and the real Keras layer (LSTM, GRU, SimpleRNN).

    Example: lstm-verify verify cases/
    """
    import warnings

    from . import report
    from .verify import collect, verify_files

    from .engines import Runner, parse_against
    engines = Runner(parse_against(args.against))   # other implementations; none by default
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
            results.append(engines.check(result))
            advance(result.name)
            if not args.json:
                report.render(console, result, all_steps=args.all_steps)
    engines.close()
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
    console = _console()
    trace = reference.run(case)
    report.render_trace(console, case, trace)
    if case.backward is not None:   # the reference's gradients too
        from . import backward, report_backward
        report_backward.render_trace(console, case, backward.run(case, trace))
    return EXIT_OK


def cmd_validate(args):
    """Check case files (keys, types, shapes) without running Keras.

    Also warns (on stderr; not an error) when a case cannot tell gate orders apart.
    Example: lstm-verify validate cases/
    """
    from .symmetry import warning
    from .verify import collect, load_all

    status = EXIT_OK
    for path, loaded in load_all(collect(args.paths), max_values=args.max_values):
        if isinstance(loaded, CaseError):
            print(f"error: {loaded}", file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"ok {path}: units={loaded.units} input_dim={loaded.input_dim} "
                  f"steps={loaded.steps} batch={loaded.batch}")
            blind = warning(loaded)
            if blind:
                print(f"warning: {blind}", file=sys.stderr)
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


def cmd_inspect(args):
    """List a saved model's LSTM, GRU and SimpleRNN layers (nested, stacked,
    Bidirectional) with their options and weights by gate.

    Loads .keras and .h5 files with Keras's safe mode: a model holding code (a Lambda
    layer, custom functions) is refused unless --unsafe, which runs code from the file.
    Example: lstm-verify inspect model.keras
    """
    import json

    from .inspection import describe_model, inspect_lines
    from .models import load_model

    description = describe_model(args.model, load_model(args.model, unsafe=args.unsafe))
    print(json.dumps(description, indent=1) if args.json
          else "\n".join(inspect_lines(description)))
    return EXIT_OK


def cmd_extract(args):
    """Write a case from one LSTM, GRU or SimpleRNN layer of a saved model, run on your data.

    inputs = the layer's input as the model computed it; expected = the layer's own
    output (h, an LSTM's c, and the sequence when it returns sequences). A Bidirectional layer
    gives CASE.forward.yaml and CASE.backward.yaml. Arrays with more than --inline-max
    values go to a sibling CASE.npz. Then run verify on the case.
    Example: lstm-verify extract model.keras --layer lstm --input x.npy -o lstm.yaml
    """
    from .extract import extract

    for path in extract(args.model, args.layer, args.input, args.output, key=args.key,
                        force=args.force, unsafe=args.unsafe, inline_max=args.inline_max):
        print(f"wrote {path}")
    return EXIT_OK


def _add_max_values(sub):
    from .yaml_source import MAX_VALUES
    sub.add_argument("--max-values", type=int, default=MAX_VALUES, metavar="N",
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
    from .explain import walkthrough

    case = load_case(args.path, max_values=args.max_values)
    print("\n".join(walkthrough(case, precision=args.precision)))
    return EXIT_OK


def cmd_export(args):
    """Write a worked solution (every gate at every step) as Markdown, LaTeX or HTML.

    HTML is one self-contained page with a cell diagram and per-step heat maps. Prints
    to stdout, or writes -o FILE atomically (an existing file only with --force).
    Example: lstm-verify export cases/two-steps-linear.yaml --format html -o two-steps.html
    """
    from .export import export

    written = export(args.path, args.format, output=args.output, force=args.force,
                     precision=args.precision, max_values=args.max_values,
                     with_keras=args.with_keras)
    if written:
        print(f"wrote {written}")
    return EXIT_OK


def cmd_convert(args):
    """Write a case with its weights in another framework's layout (the rest unchanged).

    Layouts: keras, pytorch, onnx, cudnn, tf1. The mapping (which Keras block goes
    where, what is transposed) goes to stderr; the case to stdout, or to -o FILE
    (atomically; an existing file only with --force).
    Example: lstm-verify convert cases/two-steps-linear.yaml --to pytorch -o torch.yaml
    """
    from .convert import run

    text, mapping = run(args.path, args.to, output=args.output, force=args.force,
                        forget_bias=args.forget_bias, max_values=args.max_values)
    print("\n".join(mapping), file=sys.stderr)
    if text is not None:
        sys.stdout.write(text)
    return EXIT_OK


def build_parser():
    parser = argparse.ArgumentParser(
        prog="lstm-verify",
        description="Check hand-worked LSTM, GRU and SimpleRNN arithmetic against a "
                    "reference calculator and the real Keras layer, gate by gate.")
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
    verify.add_argument("--against", metavar="ENGINES", default="",
                        help="also run each case through other implementations and compare "
                             "them with the reference: any of keras (always runs), torch, "
                             "onnxruntime, keras-jax, keras-torch, comma-separated")
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
    new.add_argument("--cell", default="lstm", choices=("lstm", "gru", "simple_rnn"),
                     help="the recurrent cell (default lstm)")
    new.add_argument("--reset-after", default=True, action=argparse.BooleanOptionalAction,
                     help="GRU only: the reset gate after the recurrent matmul (Keras's "
                          "default; --no-reset-after for before)")
    new.add_argument("--activation", default="tanh", help="(default tanh; null for linear)")
    new.add_argument("--recurrent-activation", default="sigmoid",
                     help="(default sigmoid; LSTM and GRU)")
    new.add_argument("--asymmetric", action="store_true",
                     help="all gate blocks different (the default; kept for clarity)")
    new.add_argument("--symmetric", action="store_true",
                     help="equal gate blocks (blind to gate order; asymmetric is default)")
    new.add_argument("--backward", action="store_true",
                     help="also ask for the backward pass: an upstream gradient on h (with "
                          "--with-expected, the reference's gradients too)")
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

    unsafe_help = ("load a model that holds Python code (Lambda layers, custom functions): "
                   "this RUNS code from the file; only for files you trust")
    inspect = add("inspect", cmd_inspect)
    inspect.add_argument("model", metavar="MODEL", help="a saved model, .keras or .h5")
    inspect.add_argument("--json", action="store_true", help="print JSON instead of text")
    inspect.add_argument("--unsafe", action="store_true", help=unsafe_help)

    extract = add("extract", cmd_extract)
    extract.add_argument("model", metavar="MODEL", help="a saved model, .keras or .h5")
    extract.add_argument("--layer", required=True, metavar="NAME",
                         help="the recurrent layer: its path from inspect, or a unique name")
    extract.add_argument("--input", required=True, metavar="DATA",
                         help="the model's input: .npy, .npz or .csv (rows = time steps)")
    extract.add_argument("--key", metavar="NAME", help="which array of a .npz input "
                         "(default: the first)")
    extract.add_argument("-o", "--output", required=True, metavar="CASE.yaml",
                         help="the case file to write")
    extract.add_argument("--inline-max", type=int, default=256, metavar="N",
                         help="arrays with more than N values go to a sibling .npz "
                              "(default 256; 0 puts every array there)")
    extract.add_argument("--force", action="store_true", help="replace existing files")
    extract.add_argument("--unsafe", action="store_true", help=unsafe_help)

    precision_help = "decimal places when the arithmetic is not exact (default 4)"
    explain = add("explain", cmd_explain)
    explain.add_argument("path", metavar="PATH", help="a case file")
    explain.add_argument("--precision", type=int, default=4, metavar="N", help=precision_help)
    export = add("export", cmd_export)
    export.add_argument("path", metavar="PATH", help="a case file")
    export.add_argument("--format", required=True, choices=("markdown", "latex", "html"))
    export.add_argument("-o", "--output", metavar="FILE",
                        help="write FILE (atomically) instead of printing")
    export.add_argument("--force", action="store_true", help="replace an existing FILE")
    export.add_argument("--precision", type=int, default=4, metavar="N", help=precision_help)
    export.add_argument("--with-keras", action="store_true",
                        help="also run the Keras layer and add its values (loads TensorFlow)")
    for sub in (explain, export):
        _add_max_values(sub)

    convert = add("convert", cmd_convert)
    convert.add_argument("path", metavar="CASE", help="a case file")
    convert.add_argument("--to", required=True, metavar="LAYOUT",
                         choices=("keras", "pytorch", "onnx", "cudnn", "tf1"),
                         help="keras, pytorch, onnx, cudnn or tf1")
    convert.add_argument("-o", "--output", metavar="FILE",
                         help="write FILE (atomically) instead of printing")
    convert.add_argument("--force", action="store_true", help="replace an existing FILE")
    convert.add_argument("--forget-bias", type=float, default=0.0, metavar="X",
                         help="tf1 only: write bias_f - X and forget_bias: X (default 0: "
                              "exact; TF1's LSTMCell default is 1.0)")
    _add_max_values(convert)
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
