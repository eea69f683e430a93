"""Everything a person reads: terminal reports (report.py, report_backward.py), JUnit
XML, the walkthrough (explain.py, with exact.py's fractions), worked solutions (export*.py)
and the notebook display."""
