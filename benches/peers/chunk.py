"""semantic-text-splitter (TextSplitter, and CodeSplitter with
tree-sitter-hcl), langchain's RecursiveCharacterTextSplitter and
infrarag.chunk, in one process run, on the same input: every .tf and .md file
of ../shared/corpus/modules at 400 tokens / 60 overlap, counted with
cl100k_base.

For each splitter and file type it prints MB per CPU-second, chunk count,
mean tokens per chunk and, for .tf, the share of chunks that start at a
top-level block (after any comment lines) and the share whose braces
balance. It also times token counting (Python tiktoken against
infrarag.tokens) and the parallel paths (semantic-text-splitter's chunk_all,
infrarag's chunk_dir), reporting wall time.

    make bench-peers          # installs the peers, builds a release wheel, runs this
"""

from __future__ import annotations

import glob
import gzip
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from infrarag import tokens
from infrarag.chunk import Chunker

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
MAX, OVERLAP = 400, 60
BLOCK_START = re.compile(r'^[A-Za-z_][\w-]*(\s+("[^"]*"|[A-Za-z_][\w-]*))*\s*\{')
COUNT = tokens.get("cl100k_base")


def tiktoken_cl100k() -> Any:
    """Python tiktoken's cl100k_base, loaded offline from the rank file
    bpe-openai ships (tiktoken still checks the hash it expects)."""
    import tiktoken
    from tiktoken import load
    from tiktoken_ext import openai_public

    found = glob.glob(os.path.expanduser("~/.cargo/registry/src/*/bpe-openai-*/data/cl100k_base.tiktoken.gz"))
    if not found:
        raise SystemExit("cl100k_base ranks not found: build infrarag first (cargo fetches bpe-openai)")
    plain = Path(tempfile.gettempdir()) / "cl100k_base.tiktoken"
    plain.write_bytes(gzip.decompress(Path(found[0]).read_bytes()))
    original = load.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda _url, expected_hash=None: original(str(plain), expected_hash)
    return tiktoken.Encoding(**openai_public.cl100k_base())


def starts_at_block(text: str) -> bool:
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "//", "/*", "*")):
            continue
        return BLOCK_START.match(line) is not None
    return False


def balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def run(name: str, split: Callable[[str, str], list[str]], files: list[tuple[str, str]], hcl: bool) -> float:
    mb = sum(len(t.encode()) for _, t in files) / 1e6
    start = time.process_time()
    chunks = [c for path, text in files for c in split(path, text)]
    seconds = time.process_time() - start
    sizes = [COUNT.count(c) for c in chunks]
    line = f"  {name:<34} {mb / seconds:6.2f} MB/s  {len(chunks):6d} chunks  mean {sum(sizes) / len(sizes):5.1f} tokens  max {max(sizes):4d}"
    if hcl:
        aligned = sum(starts_at_block(c) for c in chunks) / len(chunks)
        even = sum(balanced(c) for c in chunks) / len(chunks)
        line += f"  block-aligned {aligned:6.1%}  balanced {even:6.1%}"
    print(line, flush=True)
    return mb / seconds


def main() -> None:
    import tree_sitter_hcl
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from semantic_text_splitter import CodeSplitter, TextSplitter

    enc = tiktoken_cl100k()
    root = CORPUS / "modules"
    by_ext = {
        ext: [(str(p.relative_to(root)), p.read_text()) for p in sorted(root.rglob(f"*{ext}"))] for ext in (".tf", ".md")
    }
    ours = Chunker(MAX, OVERLAP)
    sts_text = TextSplitter.from_tiktoken_model("gpt-3.5-turbo", MAX, overlap=OVERLAP)
    sts_code = CodeSplitter.from_tiktoken_model(tree_sitter_hcl.language(), "gpt-3.5-turbo", MAX, overlap=OVERLAP)
    langchain = RecursiveCharacterTextSplitter(
        chunk_size=MAX, chunk_overlap=OVERLAP, length_function=lambda t: len(enc.encode_ordinary(t))
    )
    splitters: dict[str, Callable[[str, str], list[str]]] = {
        "infrarag.chunk": lambda p, t: [c.text for c in ours.chunk_file(p, t)],
        "semantic-text-splitter CodeSplitter": lambda p, t: sts_code.chunks(t),
        "semantic-text-splitter TextSplitter": lambda p, t: sts_text.chunks(t),
        "langchain RecursiveCharacter": lambda p, t: langchain.split_text(t),
    }
    for ext, files in by_ext.items():
        mb = sum(len(t.encode()) for _, t in files) / 1e6
        print(f"{ext}: {len(files)} files, {mb:.2f} MB, one thread (CPU time)")
        speeds = {}
        for name, split in splitters.items():
            if ext == ".md" and "CodeSplitter" in name:
                continue
            speeds[name] = run(name, split, files, ext == ".tf")
        for name, speed in speeds.items():
            if name != "infrarag.chunk":
                print(f"  infrarag.chunk / {name}: {speeds['infrarag.chunk'] / speed:.1f}x")

    texts = [t for _, t in by_ext[".tf"]]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print("token counting, .tf files, one thread:")
    start = time.process_time()
    a = sum(len(enc.encode_ordinary(t)) for t in texts)
    py = time.process_time() - start
    start = time.process_time()
    b = sum(COUNT.count(t) for t in texts)
    rs = time.process_time() - start
    assert a == b, (a, b)
    print(f"  Python tiktoken {mb / py:6.2f} MB/s   infrarag.tokens {mb / rs:6.2f} MB/s   ratio {py / rs:.1f}x  ({a} tokens both)")

    print(f"parallel, all .tf (wall time, {os.cpu_count()} cores):")
    start = time.perf_counter()
    sts_code.chunk_all(texts)
    sts = time.perf_counter() - start
    start = time.perf_counter()
    ours.chunk_dir(root, extensions=["tf"])
    dir_s = time.perf_counter() - start
    print(f"  CodeSplitter.chunk_all {mb / sts:6.2f} MB/s   infrarag chunk_dir (reads files too) {mb / dir_s:6.2f} MB/s   ratio {sts / dir_s:.1f}x")


if __name__ == "__main__":
    main()
