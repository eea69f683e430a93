"""The bundled example notebook, executed cell by cell in a real Jupyter kernel
(nbclient + ipykernel), and the notebook display of results, cases and traces."""

import html
from pathlib import Path

import pytest
from conftest import CASES, ROOT

from lstm_verify.api import load_case, reference
from lstm_verify.render import notebook

NOTEBOOK = ROOT / "examples" / "verify-in-a-notebook.ipynb"


def _html(cell):
    return "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


def test_the_example_notebook_runs_in_a_real_kernel():
    nbformat = pytest.importorskip("nbformat", reason="the notebook extra is not installed")
    nbclient = pytest.importorskip("nbclient", reason="the notebook extra is not installed")
    pytest.importorskip("ipykernel", reason="the notebook extra is not installed")
    book = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(book, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    case, article, summary, corrected, gru_trace, gru = code[1:]
    assert "seed article, as published" in _html(case)          # a Case shows itself
    shown = html.unescape(_html(article))
    assert "KNOWN MISTAKE" in shown and "output-gate-ignored" in shown
    assert "final h[2]: author 1, reference 0" in shown
    assert "first divergence" in shown and "blind to 3 of the 23 other gate orders" in shown
    assert summary.outputs[0]["data"]["text/plain"] == \
        "('known-mistake', 'h', 2, ['output-gate-ignored'])"
    assert "PASS" in _html(corrected) and 'class="lv-bad"' not in _html(corrected)
    assert "reference trace: GRU" in _html(gru_trace)
    assert "PASS" in _html(gru)


def test_a_result_shows_reference_keras_and_author_heat_coloured():
    from lstm_verify.api import verify
    shown = verify(load_case(CASES / "seed-article.yaml"))._repr_html_()
    assert shown.startswith('<div class="lstm-verify"><style>')
    # h at the final state, unit 2: reference 0, Keras 0 ✓, author 1 ✗ on a white cell
    assert ('<td style="background-color: rgb(255, 255, 255); color: #000000">0<br>'
            '<span class="lv-small">K 0 <span class="lv-ok">✓</span></span><br>'
            '<span class="lv-small">A 1 <span class="lv-bad">✗</span></span></td>') in shown
    assert "the output gate left out: h = c instead of h = o·c" in html.unescape(shown)


def test_a_trace_colours_each_quantity_on_its_own_scale():
    case = load_case(CASES / "seed-article-corrected.yaml")
    shown = notebook.trace_html(reference(case))
    # i = [5, 2, 1]: 5 is the darkest red of i's scale, 1 a fifth of the way there
    assert '<td style="background-color: rgb(178, 24, 43); color: #ffffff">5</td>' in shown
    # (the export's scale and its black-or-white text, chosen for 4.5:1 contrast)
    assert '<td style="background-color: rgb(236, 197, 202); color: #000000">1</td>' in shown
    assert "<caption>step 1</caption>" in shown and "<caption>final state</caption>" in shown


def test_a_case_shows_its_setup_and_equations():
    shown = notebook.case_html(load_case(CASES / "gru" / "reset-after-by-hand.yaml"))
    assert "GRU (keras.layers.GRU)" in shown and 'class="lv-eq"' in shown
