"""A progress bar for runs over many cases: on a terminal only, never in piped output."""

from contextlib import contextmanager

from .safe_text import markup


def wants_progress(console, total, json_output=False):
    """Show a bar only on an interactive terminal, for more than one case, not for --json."""
    return console.is_terminal and not console.is_dumb_terminal and total > 1 \
        and not json_output


@contextmanager
def case_progress(console, total, enabled):
    """Yield ``advance(name)``; with ``enabled`` it drives a transient rich bar."""
    if not enabled:
        yield lambda name: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    with Progress(TextColumn("checking {task.description}"), BarColumn(),
                  MofNCompleteColumn(), console=console, transient=True) as bar:
        task = bar.add_task("cases", total=total)
        yield lambda name: bar.update(task, advance=1, description=markup(name))
