"""Findings: one module per notebook that turns the numbers of sendlib.analysis into the
sentences a report states (each a small function with unit tests on hand-made inputs)."""
