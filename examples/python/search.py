"""Indexes a directory and answers a question with cited chunks, showing a
tqdm bar while it ingests when tqdm is installed.

python examples/python/search.py examples/terraform/web "bucket for logs"
"""

from __future__ import annotations

import sys

from infrarag.index import Index


def main() -> None:
    root = sys.argv[1] if len(sys.argv) > 1 else "examples/terraform/web"
    query = sys.argv[2] if len(sys.argv) > 2 else "bucket for logs"
    index = Index()
    try:
        from tqdm import tqdm
    except ImportError:
        report = index.add_path(root)
    else:
        bars: dict[str, tqdm] = {}

        def progress(done: int, total: int, stage: str) -> None:
            bar = bars.setdefault(stage, tqdm(total=total, desc=stage, unit="item"))
            bar.update(done - bar.n)

        report = index.add_path(root, progress=progress)
        for bar in bars.values():
            bar.close()
    print(f"{report['added']} files added, {report['chunks']} chunks indexed with {index.model}")
    print(f"{query!r}:")
    for hit in index.search(query, k=5):
        print(f"  {hit.score:.4f} {hit.citation} {hit.chunk.address or hit.chunk.kind}")


if __name__ == "__main__":
    main()
