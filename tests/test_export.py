"""export: Markdown and LaTeX content, safe writing, and the HTML page in a real Chromium."""

import re
import shutil
import subprocess
import sys

import pytest
from cell_cases import GRU_EXACT, RNN, dec, gru_steps, gru_text, rnn_steps
from conftest import CASES, ROOT, run_cli

from lstm_verify import cells
from lstm_verify.case import load_case
from lstm_verify.cells.teaching import activated, diagram
from lstm_verify.errors import CaseError
from lstm_verify.render.export import document, export, quantities, render
from lstm_verify.render.export_html import heat_colour, scales, text_colour
from lstm_verify.render.export_latex import latex_text

SEED = CASES / "seed-article-corrected.yaml"
# Two units, two steps, hard_sigmoid gates: i = hard_sigmoid(1) = 2/3 at step 1, and the
# state feeds back through the recurrent kernel at step 2, giving negative values too.
THIRDS = """\
name: thirds & halves_1
description: hard_sigmoid(1) = 1/6 + 1/2 = 2/3, exactly; 100% of the maths is exact
activation: null
recurrent_activation: hard_sigmoid
inputs: [[1, 0], [0, -2]]
weights:
  kernel: [[1, 2, 3, 0, 1, -1, 0, 1], [0, 1, 1, 0, -1, 2, 1, 0]]
  recurrent_kernel: [[0.5, 0, 0, 0, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1, 0, 0]]
  bias: [0, 0, 0, 0, 0, 0, 0, 0]
"""


def md_tables(text):
    """Each Markdown table as a list of rows (lists of cells)."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if re.fullmatch(r"\|[-:|]+\|", line):
            continue          # the header's separator row
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip("|").split(" | ")])
        elif current:
            tables.append(current)
            current = []
    return tables


def test_markdown_has_every_gate_at_every_step_and_weights_per_gate():
    text = render(load_case(SEED), "markdown")
    assert text.startswith("# seed article, corrected\n")
    tables = md_tables(text)
    for table in tables:                       # every row as wide as its header
        assert {len(row) for row in table} == {len(table[0])}, table
    step = next(t for t in tables if t[0][:2] == ["unit", "z_i"])
    assert step[0] == ["unit", "z_i", "z_f", "z_c", "z_o", "i", "f", "c̃", "o", "c", "h"]
    # unit: z_i z_f z_c z_o, then i f c~ o (linear: equal to z), then c = i·c~ and h = o·c
    assert step[1:] == [["0", "5", "1", "0", "2", "5", "1", "0", "2", "0", "0"],
                        ["1", "2", "1", "2", "1", "2", "1", "2", "1", "4", "4"],
                        ["2", "1", "0", "1", "0", "1", "0", "1", "0", "1", "0"]]
    w_i = next(t for t in tables if t[1][0].startswith("W_i"))
    assert w_i[1:] == [["W_i row 0 (x[0])", "2", "1", "1"], ["W_i row 1 (x[1])", "1", "1", "0"],
                       ["U_i row 0 (h_prev[0])", "1", "0", "0"],
                       ["U_i row 1 (h_prev[1])", "1", "1", "0"],
                       ["U_i row 2 (h_prev[2])", "1", "0", "1"], ["b_i", "3", "1", "0"]]
    w_o = next(t for t in tables if t[1][0].startswith("W_o"))
    assert w_o[-1] == ["b_o", "2", "0", "0"]
    final = next(t for t in tables if t[1][0] == "h")   # the author's numbers come after it
    assert final[1:] == [["h", "0", "4", "0"], ["c", "0", "4", "1"]]
    assert "h = o·linear(c)" in text


def test_markdown_shows_exact_fractions(write_case):
    text = render(load_case(write_case(THIRDS)), "markdown")
    step1 = next(t for t in md_tables(text) if t[0][:2] == ["unit", "z_i"])
    # x = [1, 0]: z = kernel row 0. Unit 0: z = (1, 3, 1, 0) -> i = 1/6 + 1/2 = 2/3, f = 1,
    # c~ = 1, o = 1/2, c = 2/3, h = 1/3. Unit 1: z = (2, 0, -1, 1) -> i = 5/6, f = 1/2,
    # c~ = -1, o = 2/3, c = -5/6, h = -5/9
    assert step1[1:] == [["0", "1", "3", "1", "0", "2/3", "1", "1", "0.5", "2/3", "1/3"],
                         ["1", "2", "0", "-1", "1", "5/6", "0.5", "-1", "2/3", "-5/6", "-5/9"]]
    assert "**step 2**" in text


LATEX_SAFE = re.compile(r"[\x20-\x7e\n]*")


def latex_structure_ok(tex):
    """Balanced environments and braces, every tabular row as wide as its column spec."""
    envs = []
    for kind, name in re.findall(r"\\(begin|end)\{(\w+\*?)\}", tex):
        if kind == "begin":
            envs.append(name)
        else:
            assert envs and envs.pop() == name, name
    assert not envs
    unescaped = re.sub(r"\\[{}]", "", tex)
    assert unescaped.count("{") == unescaped.count("}")
    tables = re.findall(r"\\begin\{longtable\}\{(\w+)\}(.*?)\\end\{longtable\}", tex, re.S)
    assert tables
    for spec, body in tables:
        for row in body.split("\\\\"):
            row = row.replace("\\hline", "").replace("\\endhead", "").strip()
            if row and not row.startswith("\\multicolumn"):   # the caption row
                assert len(re.split(r"(?<!\\)&", row)) == len(spec), row
    return True


def test_latex_is_a_complete_document_with_exact_fractions_and_escaped_text(write_case):
    tex = render(load_case(write_case(THIRDS)), "latex")
    assert tex.startswith("\\documentclass") and tex.rstrip().endswith("\\end{document}")
    assert LATEX_SAFE.fullmatch(tex), "pdflatex needs plain ASCII"
    assert latex_structure_ok(tex)
    assert r"\section*{thirds \& halves\_1}" in tex
    assert r"100\% of the maths is exact" in tex
    assert r"$|$h$|$ $<$ 1" in latex_text("|h| < 1")   # OT1 would print —h— ¡ 1
    assert (r"$0$ & $1$ & $3$ & $1$ & $0$ & $\tfrac{2}{3}$ & $1$ & $1$ & $0.5$ & "
            r"$\tfrac{2}{3}$ & $\tfrac{1}{3}$ \\") in tex
    assert r"$-\tfrac{5}{6}$ & $-\tfrac{5}{9}$ \\" in tex
    assert r"h &= o \cdot \operatorname{linear}(c)" in tex
    assert r"$\tilde{c}$" in tex


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="pdflatex is not installed "
                    "(Debian package texlive-latex-base, which .ci/run installs); the LaTeX is "
                    "still checked structurally")
def test_latex_compiles(write_case, tmp_path):
    (tmp_path / "case.tex").write_text(render(load_case(write_case(THIRDS)), "latex"))
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                             "case.tex"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "case.pdf").stat().st_size > 1000


def test_output_file_is_written_atomically_and_never_replaced_without_force(tmp_path):
    target = tmp_path / "solution.md"
    assert export(SEED, "markdown", output=target) == target
    first = target.read_text()
    assert first.startswith("# seed article, corrected")
    target.write_text("my own notes")
    with pytest.raises(CaseError, match="already exists; pass --force"):
        export(SEED, "markdown", output=target)
    assert target.read_text() == "my own notes"
    export(SEED, "markdown", output=target, force=True)
    assert target.read_text() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solution.md"]   # no temp files


def test_export_command_exit_codes_and_no_tensorflow(tmp_path):
    target = tmp_path / "page.html"
    code = ("import sys; from lstm_verify.cli import main; rc = main(sys.argv[1:]); "
            "print('IMPORTED', any(m == 'tensorflow' or m.startswith('tensorflow.') or "
            "m == 'keras' or m.startswith('keras.') for m in sys.modules)); sys.exit(rc)")
    ok = subprocess.run([sys.executable, "-c", code, "export", str(SEED), "--format", "html",
                         "-o", str(target)], cwd=ROOT, capture_output=True, text=True,
                        timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [f"wrote {target}", "IMPORTED False"]
    again = run_cli("export", SEED, "--format", "html", "-o", target)
    assert again.returncode == 2 and "already exists; pass --force" in again.stderr
    printed = run_cli("export", SEED, "--format", "latex")
    assert printed.returncode == 0 and printed.stdout.startswith("\\documentclass")


def test_html_is_one_self_contained_page(write_case):
    page = render(load_case(write_case(THIRDS)), "html")
    assert page.startswith("<!DOCTYPE html>") and page.count("<html") == 1
    assert "<svg" in page and "<style>" in page and "<script>" in page
    assert not re.search(r"(src|href)\s*=|https?://|@import|url\((?!#)", page)


def test_heat_colours_run_from_blue_through_white_to_red():
    assert heat_colour(0, 1) == "rgb(255, 255, 255)"
    assert heat_colour(1, 1) == "rgb(178, 24, 43)" == heat_colour(5, 1)
    assert heat_colour(-2, 2) == "rgb(33, 102, 172)"
    assert heat_colour(0.5, 1) == "rgb(216, 140, 149)"
    assert text_colour(0.9, 1) == "#ffffff" and text_colour(0.2, 1) == "#000000"


# --- the page in a real browser -------------------------------------------------------

@pytest.fixture(scope="module")
def page(browser, tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    (folder / "thirds.yaml").write_text(THIRDS)
    case = load_case(folder / "thirds.yaml")
    export(case.path, "html", output=folder / "thirds.html")
    browser.get((folder / "thirds.html").as_uri())
    return browser, case, folder


def rendered_size(driver, selector):
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return [r.width, r.height];", selector)


def computed(driver, element, prop):
    return driver.execute_script("return getComputedStyle(arguments[0])[arguments[1]];",
                                 element, prop)


def strip(driver, name):
    """The values a strip of the diagram (x or h_prev) shows, slot by slot."""
    return [s.text for s in driver.find_elements("css selector", f"#in-{name} .slot")]


def test_browser_draws_the_cell_diagram(page):
    driver, case, _ = page
    assert driver.title == case.name
    width, height = rendered_size(driver, "#cell-diagram")
    assert width > 500 and height > 250
    for gate in ("i", "f", "c_tilde", "o"):
        w, h = rendered_size(driver, f"#box-{gate} rect")
        assert w > 40 and h > 40, gate
    assert len(driver.find_elements("css selector", "#cell-diagram line")) >= 15
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    # nothing was fetched: the page is self-contained
    assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_browser_colours_every_heat_map_cell_by_its_value(page):
    driver, case, _ = page
    doc = document(case)
    scale = scales(doc)
    values = next(body for kind, body in doc.blocks if kind == "table" and body.step == (2, 0))
    cells = driver.find_elements("css selector", "#step-2-0 tr.unit td[data-q]")
    names = quantities(case.cell)
    assert len(cells) == case.units * len(names)
    for n, cell in enumerate(cells):
        u, q = divmod(n, len(names))
        value = values.values[u][q]
        quantity = names[q]
        assert cell.get_attribute("data-q") == quantity
        assert computed(driver, cell, "backgroundColor") == heat_colour(value,
                                                                        scale[quantity])
    # the exact value 2/3 of i at step 1 is on screen; i's scale tops at 5/6 (unit 1), so
    # 2/3 is 80% of the way from white to the darkest red: white text on (193, 70, 85)
    first = driver.find_element("css selector", "#step-1-0 tr.unit[data-u='0'] td[data-q='i']")
    driver.execute_script("arguments[0].scrollIntoView()", first)
    assert first.is_displayed() and first.text == "2/3"
    assert computed(driver, first, "backgroundColor") == "rgb(193, 70, 85)"
    assert computed(driver, first, "color") == "rgb(255, 255, 255)"
    assert float(computed(driver, first, "fontSize").rstrip("px")) >= 20   # a projector


def test_clicking_a_row_puts_its_values_into_the_diagram(page):
    driver, case, _ = page
    row = driver.find_element("css selector", "#step-2-0 tr.unit[data-u='1']")
    driver.execute_script("arguments[0].scrollIntoView()", row)
    row.click()
    for q in ("i", "f", "c_tilde", "o", "c", "h"):
        cell = row.find_element("css selector", f"td[data-q='{q}']")
        assert driver.find_element("id", f"v-{q}").text == cell.text, q
    box = driver.find_element("css selector", "#box-o rect")
    o_cell = row.find_element("css selector", "td[data-q='o']")
    assert computed(driver, box, "fill") == computed(driver, o_cell, "backgroundColor")
    # step 2 reads x = [0, -2] and h_prev = step 1's h = [1/3, -5/9], unit 1's own outlined
    assert strip(driver, "x") == ["0", "-2"]
    assert strip(driver, "h_prev") == ["1/3", "-5/9"]
    assert driver.find_element("css selector", "#in-h_prev .slot.own").text == "-5/9"
    assert driver.find_element("id", "selection").text.startswith("step 2, unit 1")


def test_screenshot_shows_the_diagram_and_the_heat_map(page):
    from io import BytesIO

    image_module = pytest.importorskip("PIL.Image", reason="Pillow is in the test extra")
    driver, _, folder = page
    driver.execute_script("window.scrollTo(0, 0)")
    top = image_module.open(BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    colours = top.getcolors(maxcolors=1 << 20)
    assert len(colours) > 20                        # not a blank page
    dark = sum(n for n, (r, g, b) in colours if r + g + b < 150)
    assert dark > 2000                             # black wires, boxes and text
    heat = driver.find_element("css selector", "#step-1-0")
    driver.execute_script("arguments[0].scrollIntoView()", heat)
    shot = image_module.open(BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    reds = sum(n for n, rgb in shot.getcolors(maxcolors=1 << 20) if rgb == (178, 24, 43))
    assert reds > 500                              # the darkest heat-map colour is painted
    shot.save(folder / "heat.png")


def test_with_keras_adds_keras_values_and_would_flag_a_disagreement(write_case, tmp_path):
    from lstm_verify import forward, keras_run
    from lstm_verify.render.export_keras import comparison_blocks

    case = load_case(write_case(THIRDS))
    target = tmp_path / "thirds.md"
    export(case.path, "markdown", output=target, with_keras=True)
    text = target.read_text()
    assert "## Checked against Keras" in text
    assert "Keras agrees with every value above, at atol 1e-05 + rtol 0.0001" in text
    difference = next(t for t in md_tables(text) if t[0][0] == "quantity")
    assert [row[0] for row in difference[1:]] == ["z_i", "z_f", "z_c", "z_o", "i", "f", "c̃",
                                                  "o", "c", "h", "final h", "final c"]
    assert all(row[2] == "yes" and float(row[1]) < 1e-6 for row in difference[1:])
    assert "| h (Keras) | 0.223765 | -0.587963 |" in text     # 145/648 and -127/216

    ker = keras_run.run(case)
    ker.c_tilde[1, 0, 1] += 0.01        # as if Keras had computed another candidate
    blocks = comparison_blocks(case, forward.run(case), ker, "Keras", 4)
    rows = {row[0]: row[1:] for row in blocks[2][1].rows}
    assert rows["c̃"] == ["1.0e-02", "NO"] and rows["h"][1] == "yes"
    assert "Keras DISAGREES with the values above where marked NO" in blocks[1][1]


def test_browser_page_for_two_sequences_and_a_masked_step(browser, tmp_path):
    path = tmp_path / "batch.yaml"
    path.write_text("name: two sequences, one masked step\nactivation: null\n"
                    "recurrent_activation: hard_sigmoid\ninputs: [[[1], [2]], [[3], [-1]]]\n"
                    "mask: [[true, true], [true, false]]\nweights:\n"
                    "  kernel: [[1, 0, 1, 1]]\n  recurrent_kernel: [[0, 0, 0, 0]]\n"
                    "  bias: [0, 0, 0, 0]\n")
    export(path, "html", output=tmp_path / "batch.html")
    browser.get((tmp_path / "batch.html").as_uri())
    tables = [t.get_attribute("id") for t in browser.find_elements("css selector", "table.heat")]
    assert tables == ["step-1-0", "step-2-0", "step-1-1", "step-2-1"]
    masked = browser.find_element("id", "step-2-1")
    assert "masked" in masked.get_attribute("class")
    assert "masked: h and c carried unchanged" in masked.find_element("tag name", "caption").text
    row = browser.find_element("css selector", "#step-1-1 tr.unit")
    browser.execute_script("arguments[0].scrollIntoView()", row)
    row.click()
    assert browser.find_element("id", "selection").text.startswith("step 1, sequence 1, unit 0")
    assert strip(browser, "x") == ["3"]
    # x = 3: z_i = 3 -> i = hard_sigmoid(3) = 1; c = i·c~ = 3; o = hard_sigmoid(3) = 1, h = 3
    assert [browser.find_element("id", f"v-{q}").text for q in ("i", "c", "h")] == ["1", "3", "3"]


# --- every cell: the GRU and the SimpleRNN exported with their own equations and diagram ---

CELL_CASES = {"lstm": THIRDS, "gru": GRU_EXACT, "gru, reset_after false": gru_text("false"),
              "simple_rnn": RNN}


@pytest.mark.parametrize("reset_after", ["true", "false"])
def test_markdown_for_a_gru_has_its_gates_and_bias_rows(write_case, reset_after):
    text = render(load_case(write_case(gru_text(reset_after))), "markdown")
    tables = md_tables(text)
    steps = [t for t in tables if t[0][0] == "unit"]
    assert steps[0][0] == ["unit", "z_z", "z_r", "z_h", "z", "r", "h̃", "h"]
    for table, expected in zip(steps, gru_steps(reset_after)):
        names = ("z_z", "z_r", "z_h", "z", "r", "h_tilde", "h")
        assert table[1:] == [[str(u)] + [dec(expected[q][u]) for q in names] for u in (0, 1)]
    candidate = next(t for t in tables if t[1][0].startswith("W_h"))
    if reset_after == "true":
        assert "**candidate h̃: W_h, U_h, b_h,in, b_h,rec**" in text
        assert candidate[-2:] == [["b_h,in", "0.3", "-0.2"], ["b_h,rec", "0.1", "0.4"]]
        assert "z_h = x·W_h + b_h,in + r·(h_prev·U_h + b_h,rec)\n" in text
    else:
        assert "**candidate h̃: W_h, U_h, b_h**" in text
        assert candidate[-1] == ["b_h", "0.4", "0.2"]
        assert "z_h = x·W_h + (r·h_prev)·U_h + b_h\n" in text
    assert ("z = sigmoid(z_z),  r = sigmoid(z_r),  h̃ = tanh(z_h)\n"
            "h = z·h_prev + (1 − z)·h̃\n") in text
    assert f"GRU (keras.layers.GRU): 2 units, input dimension 2, 2 time steps, batch 1; " \
           f"activation tanh, recurrent activation sigmoid, reset_after {reset_after}." in text
    final = gru_steps(reset_after)[-1]["h"]
    assert tables[-1] == [["", "unit 0", "unit 1"], ["h", dec(final[0]), dec(final[1])]]
    assert "**final h**" in text and "c_prev" not in text


def test_markdown_for_a_simple_rnn_has_one_block_and_no_gates(write_case):
    text = render(load_case(write_case(RNN)), "markdown")
    tables = md_tables(text)
    steps = [t for t in tables if t[0][0] == "unit"]
    assert len(steps) == 3 and steps[0][0] == ["unit", "z_h", "h"]
    for table, expected in zip(steps, rnn_steps()):
        assert table[1:] == [[str(u), dec(expected["z_h"][u]), dec(expected["h"][u])]
                             for u in (0, 1)]
    assert "## Weights\n" in text and "## Every step\n" in text and "gate" not in text
    assert "```\nz_h = x·W_h + h_prev·U_h + b_h\nh = tanh(z_h)\n```" in text
    weights = next(t for t in tables if t[1][0].startswith("W_h"))
    assert weights[1:] == [["W_h row 0 (x[0])", "0.5", "-0.3"], ["W_h row 1 (x[1])", "0.2", "0.8"],
                           ["U_h row 0 (h_prev[0])", "0.1", "0.4"],
                           ["U_h row 1 (h_prev[1])", "-0.6", "0.3"], ["b_h", "0.05", "-0.1"]]


@pytest.mark.parametrize("variant", CELL_CASES)
def test_latex_for_every_cell_is_plain_ascii_and_well_formed(write_case, variant):
    tex = render(load_case(write_case(CELL_CASES[variant])), "latex")
    assert LATEX_SAFE.fullmatch(tex), "pdflatex needs plain ASCII"
    assert latex_structure_ok(tex)
    if "gru" in variant:
        assert r"h &= z \cdot h_{t-1} + (1 - z) \cdot \tilde{h}" in tex
        assert r"$\tilde{h}$" in tex
    if variant == "gru":
        assert r"z_h &= x \cdot W_h + b_{h,\mathrm{in}} + r \cdot (h_{t-1} \cdot U_h + " \
               r"b_{h,\mathrm{rec}})" in tex
        assert r"$\tfrac{755}{648}$" in tex
    if variant == "simple_rnn":
        assert r"h &= \operatorname{tanh}(z_h)" in tex


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="pdflatex is not installed "
                    "(Debian package texlive-latex-base, which .ci/run installs)")
@pytest.mark.parametrize("variant", CELL_CASES)
def test_latex_compiles_for_every_cell(write_case, tmp_path, variant):
    (tmp_path / "case.tex").write_text(render(load_case(write_case(CELL_CASES[variant])),
                                              "latex"))
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                             "case.tex"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (tmp_path / "case.pdf").stat().st_size > 1000


@pytest.mark.parametrize("variant", CELL_CASES)
def test_every_cells_diagram_draws_its_own_gates_and_has_a_place_for_every_value(write_case,
                                                                                variant):
    case = load_case(write_case(CELL_CASES[variant]))
    cell, drawing = case.cell, diagram(case)
    boxed = [q for q, _, _ in drawing.boxes]
    assert sorted(boxed) == sorted(g.name for g in activated(cell))
    slots = boxed + [q for _, _, q in drawing.values] + [q for q, *_ in drawing.inputs]
    assert len(slots) == len(set(slots))          # one element per id on the page
    assert set(slots) == set(cell.rows) | {"x"} | {f"{s}_prev" for s in cell.states}


@pytest.mark.parametrize("variant", CELL_CASES)
def test_browser_draws_each_cells_own_diagram(browser, tmp_path, variant):
    path = tmp_path / "case.yaml"
    path.write_text(CELL_CASES[variant])
    case = load_case(path)
    export(path, "html", output=tmp_path / "case.html")
    browser.get((tmp_path / "case.html").as_uri())
    cell = case.cell
    assert browser.find_element("css selector", "figure.diagram").get_attribute(
        "data-cell") == cell.name
    own = {g.name for g in activated(cell)}
    for gate in own:
        w, h = rendered_size(browser, f"#box-{gate} rect")
        assert w > 40 and h > 40, gate
    others = {g.name for other in cells.CELLS.values() for g in activated(other)} - own
    for gate in others:                           # no other cell's gates
        assert browser.find_elements("id", f"box-{gate}") == [], gate
    assert len(browser.find_elements("css selector", "#cell-diagram line")) >= 5
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    # clicking a row of the last step puts that unit's values into the diagram
    row = browser.find_element("css selector", f"#step-{case.steps}-0 tr.unit[data-u='1']")
    browser.execute_script("arguments[0].scrollIntoView()", row)
    row.click()
    for q in cell.rows:
        cell_text = row.find_element("css selector", f"td[data-q='{q}']").text
        assert browser.find_element("id", f"v-{q}").text == cell_text, q
    if variant == "lstm":     # the unit's own c_prev; h_prev is drawn whole
        assert browser.find_element("id", "v-c_prev").text == row.get_attribute("data-c-prev")
    assert browser.find_element("id", "selection").text.startswith(f"step {case.steps}, unit 1")
    if variant == "gru":   # step 2, unit 1: h_prev 0, z = 1/3, r = 1/2, h~ = -3, h = -2
        assert browser.find_element("css selector", "#in-h_prev .slot.own").text == "0"
        assert [browser.find_element("id", f"v-{q}").text
                for q in ("z", "r", "h_tilde", "h")] == ["1/3", "0.5", "-3", "-2"]
    groups = browser.find_elements("css selector", "#step-1-0 tr.groups th")
    assert [g.text for g in groups][1:] == (["pre-activations z", "states"]
                                            if variant == "simple_rnn" else
                                            ["pre-activations z", "gates", "states"])


@pytest.mark.parametrize("variant", ["gru", "gru, reset_after false", "simple_rnn"])
def test_with_keras_runs_each_cells_own_layer(write_case, tmp_path, variant):
    case = load_case(write_case(CELL_CASES[variant]))
    target = tmp_path / "solution.md"
    export(case.path, "markdown", output=target, with_keras=True)
    text = target.read_text()
    layer = case.cell.keras_layer
    assert f"The same case run through keras.layers.{layer} (Keras " in text
    assert "Keras agrees with every value above, at atol 1e-05 + rtol 0.0001" in text
    difference = next(t for t in md_tables(text) if t[0][0] == "quantity")
    expected = {"gru": ["z_z", "z_r", "z_h", "z", "r", "h̃", "h", "final h"],
                "simple_rnn": ["z_h", "h", "final h"]}[case.cell.name]
    assert [row[0] for row in difference[1:]] == expected
    assert all(row[2] == "yes" and float(row[1]) < 1e-6 for row in difference[1:])
    keras_final = next(t for t in md_tables(text) if t[1][0] == "h (Keras)")
    final = {"gru": [755 / 648, -2], "simple_rnn": rnn_steps()[-1]["h"]}.get(case.cell.name)
    if variant == "gru, reset_after false":
        final = gru_steps("false")[-1]["h"]
    assert keras_final[1:] == [["h (Keras)"] + [dec(v, 6) for v in final]]


def _rgb(css):
    return tuple(int(float(v)) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])


def test_browser_page_for_8_units_fits_1024_px_with_readable_heat_colours(browser, tmp_path):
    """A projector's 1024 px: no table scrolls sideways, no text under 4.5:1 on its colour
    (both read from what the page computes)."""
    from lstm_verify.render.export_html import contrast

    path = tmp_path / "eight.yaml"
    assert run_cli("new", path, "--units", 8, "--input-dim", 3, "--steps", 2, "--seed", 5,
                   timeout=60).returncode == 0
    export(load_case(path).path, "html", output=tmp_path / "eight.html")
    browser.set_window_size(1024, 900)
    try:
        browser.get((tmp_path / "eight.html").as_uri())
        inner = browser.execute_script("return window.innerWidth")
        assert inner <= 1024
        overflow = browser.execute_script(
            "return [document.documentElement.scrollWidth - document.documentElement.clientWidth,"
            " ...[...document.querySelectorAll('table')].map(t => [t.id || t.caption?.textContent,"
            "   Math.round(t.getBoundingClientRect().right) - document.documentElement.clientWidth,"
            "   t.parentElement.scrollWidth - t.parentElement.clientWidth])];")
        assert overflow[0] <= 0, [t for t in overflow[1:] if t[1] > 0 or t[2] > 0]
        assert [t for t in overflow[1:] if t[1] > 0 or t[2] > 0] == [], overflow
        cells = browser.find_elements("css selector", "table.heat td[data-q]")
        assert len(cells) >= 2 * 8 * 6
        worst = min((contrast(_rgb(computed(browser, c, "color")),
                              _rgb(computed(browser, c, "backgroundColor"))), c.text)
                    for c in cells)
        assert worst[0] >= 4.5, worst
    finally:
        browser.set_window_size(1400, 1100)


@pytest.mark.parametrize("fmt", ["markdown", "latex", "html"])
def test_export_shows_the_authors_numbers_beside_the_correct_ones(fmt):
    import html

    text = render(load_case(CASES / "seed-article.yaml"), fmt)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text)) if fmt == "html" else text
    flat = " ".join(re.sub(r"\\\\|&|\$|\|", " ", text).split())
    assert "Your numbers beside the correct ones" in flat
    assert ("1 of the author's 6 numbers differ from the reference. First divergence: "
            "final h[2]: author 1, correct 0.") in flat
    assert "(output-gate-ignored); recomputed that way, all 6 of the author's numbers" in flat
    assert "h[2] final 1 0 first divergence" in flat and "c[2] final 1 1 right" in flat
    import dataclasses

    without = render(dataclasses.replace(load_case(CASES / "seed-article.yaml"), expected={}),
                     fmt)
    assert "Your numbers" not in without


def test_export_of_a_case_whose_numbers_all_agree_says_so():
    text = render(load_case(CASES / "seed-article-corrected.yaml"), "markdown")
    assert "All 24 of the author's numbers agree with the reference." in text
    assert "first divergence" not in text
