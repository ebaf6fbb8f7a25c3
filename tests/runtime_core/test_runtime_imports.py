"""The runtime is importable without the compiler's dependencies (LANGUAGE.md section 9)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_importing_every_runtime_module_loads_no_compiler_dependency() -> None:
    script = textwrap.dedent("""
        import importlib, pkgutil, sys
        import flowc_runtime
        for info in pkgutil.iter_modules(flowc_runtime.__path__):
            importlib.import_module("flowc_runtime." + info.name)
        loaded = sorted(
            name for name in ("flowc", "lark", "jinja2", "black")
            if name in sys.modules or any(m.startswith(name + ".") for m in sys.modules)
        )
        print(",".join(loaded))
        """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
