"""cases/ holds test files that are wrong on purpose (the specs of E07xx): checked by
test_diagnostics.py, never collected as tests by the flowc plugin."""

collect_ignore_glob = ["cases/*"]
