"""Parse ../shared/corpus/modules with python-hcl2 (when installed) and with
infrarag.hcl.loads in one run; print MB/s per CPU-second of each and the ratio.

    .venv/bin/pip install python-hcl2==7.3.1 && .venv/bin/python benches/peers/parse.py
"""

import os
import time
from pathlib import Path

from infrarag import hcl

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
texts = [p.read_text() for p in sorted((CORPUS / "modules").rglob("*.tf"))]
mb = sum(len(t.encode()) for t in texts) / 1e6


def measure(fn) -> float:
    start = time.process_time()
    for t in texts:
        fn(t)
    return mb / (time.process_time() - start)


ours = measure(lambda t: hcl.loads(t, dialect="v7"))
print(f"{len(texts)} files, {mb:.2f} MB")
print(f"infrarag.hcl.loads (v7): {ours:8.2f} MB/s")
try:
    import hcl2  # type: ignore[import-untyped]

    version = getattr(hcl2, "__version__", "?")
    theirs = measure(hcl2.loads)
    print(f"python-hcl2 {version}:      {theirs:8.2f} MB/s")
    print(f"ratio: {ours / theirs:.1f}x")
except ImportError:
    print("python-hcl2 not installed: pip install python-hcl2==7.3.1")
