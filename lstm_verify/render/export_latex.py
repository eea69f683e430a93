"""The LaTeX form of export: a complete article that pdflatex compiles as it is.

Only packages of Debian's texlive-latex-base (amsmath, longtable), so a plain TeX
install is enough; long tables break across pages.  Text is escaped, the Unicode the
documents use (c̃, ·, ≈, ...) is written as maths, numbers in cells are set as maths
with fractions as \\tfrac.
"""

import re

LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                 "^": r"\textasciicircum{}",
                 "|": r"$|$", "<": r"$<$", ">": r"$>$"}   # OT1 fonts print | < > as — ¡ ¿
LATEX_UNICODE = {"·": r"$\cdot$", "≈": r"$\approx$", "→": r"$\to$",
                 "×": r"$\times$", "⊙": r"$\odot$", "—": "---", "–": "--", "≥": r"$\geq$",
                 "≤": r"$\leq$", "ᵀ": r"$^T$", "²": r"$^2$", "½": r"$\tfrac{1}{2}$",
                 "Σ": r"$\Sigma$", "−": "$-$", "’": "'", "“": "``", "”": "''", "…": r"\dots{}"}
NUMBER = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:/(\d+))?(?![\w.])")


TILDE = "\u0303"   # the combining tilde of c̃ and h̃


def latex_text(text):
    """Plain text for LaTeX: specials escaped, known Unicode as math, the rest dropped."""
    out = []
    i = 0
    while i < len(text):
        if text[i + 1:i + 2] == TILDE and text[i].isascii() and text[i].isalpha():
            out.append(rf"$\tilde{{{text[i]}}}$")
            i += 2
            continue
        ch = text[i]
        if ch in LATEX_UNICODE:
            out.append(LATEX_UNICODE[ch])
        elif ch in LATEX_SPECIAL:
            out.append(LATEX_SPECIAL[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            out.append("?")   # pdflatex cannot typeset arbitrary Unicode; never fail to compile
        i += 1
    return "".join(out)


def latex_cell(text):
    """A table cell: a number (or a vector of them) as math, fractions as \\tfrac."""
    if NUMBER.fullmatch(text.strip()) or (text.startswith("[") and text.endswith("]")):
        def number(m):
            sign, whole = ("-", m.group(1)[1:]) if m.group(1).startswith("-") else ("", m.group(1))
            return f"{sign}\\tfrac{{{whole}}}{{{m.group(2)}}}" if m.group(2) else m.group(1)
        return "$" + NUMBER.sub(number, text.replace(", ", ",\\ ")) + "$"
    return latex_text(text)


def latex(doc):
    # only packages of texlive-latex-base (no geometry): widen the page by hand
    out = [r"\documentclass[11pt]{article}", r"\usepackage{amsmath}", r"\usepackage{longtable}",
           r"\addtolength{\textwidth}{5cm}", r"\addtolength{\oddsidemargin}{-2.5cm}",
           r"\setlength{\parindent}{0pt}", r"\setlength{\tabcolsep}{4pt}", r"\begin{document}",
           rf"\section*{{{latex_text(doc.title)}}}"]
    for kind, body in doc.blocks:
        if kind == "h2":
            out.append(rf"\subsection*{{{latex_text(body)}}}")
        elif kind == "p":
            out += [latex_text(body), ""]
        elif kind == "math":
            out += [r"\begin{align*}", " \\\\\n".join(_latex_equation(line) for line in body),
                    r"\end{align*}"]
        else:
            # longtable (in texlive-latex-base's tools) breaks a long table across pages
            spec, n = "l" + "r" * (len(body.header) - 1), len(body.header)
            out += [r"{\small", rf"\begin{{longtable}}{{{spec}}}",
                    rf"\multicolumn{{{n}}}{{l}}{{\textbf{{{latex_text(body.caption)}}}}} \\",
                    r"\hline", " & ".join(latex_header(h) for h in body.header) + r" \\",
                    r"\hline", r"\endhead"]
            out += [" & ".join(latex_cell(c) for c in row) + r" \\" for row in body.rows]
            out += [r"\hline", r"\end{longtable}", "}"]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def latex_header(text):
    m = re.fullmatch(r"z_([a-z])", text)
    if m:
        return f"$z_{m.group(1)}$"
    return latex_text(text)


def _latex_equation(line):
    """One plain equation line as amsmath: z_g = x·W_g ... -> z_g &= x W_g ..."""
    text = re.sub(f"([a-zA-Z]){TILDE}", r"\\tilde{\1}", line).replace("·", r" \cdot ")
    text = text.replace("−", "-")
    text = re.sub(r"\bb_([a-z]),(in|rec)\b", r"b_{\1,\\mathrm{\2}}", text)
    text = re.sub(r"\b([a-z_]+)\(", lambda m: (r"\operatorname{%s}(" % m.group(1).replace(
        "_", r"\_")), text)
    text = text.replace("h_prev", r"h_{t-1}").replace("c_prev", r"c_{t-1}")
    text = re.sub(r"\s{2,}\((g = [^)]*)\)", r"\\quad \\text{(\1)}", text)
    text = text.replace(",  ", r",\quad ")
    return text.replace(" = ", " &= ", 1)


