"""The generation loop from Python: index a module repository, then stream
the events of retrieve → prompt → generate → validate → correct. Runs on
the offline fallback model unless ANTHROPIC_API_KEY or OPENAI_API_KEY is
set.

python examples/python/generate_terraform.py ../shared/corpus/modules/s3 "an S3 bucket with versioning"
"""

from __future__ import annotations

import asyncio
import sys
import time

from infrarag.index import Index
from infrarag.llm import from_env
from infrarag.pipeline import Generator


async def main() -> None:
    root = sys.argv[1] if len(sys.argv) > 1 else "examples/terraform/web"
    task = sys.argv[2] if len(sys.argv) > 2 else "a bucket for logs"
    index = Index()
    report = index.add_path(root)
    print(f"indexed {report['chunks']} chunks from {root}")
    generator = Generator(from_env(), k=20)
    started = time.perf_counter()
    stream = generator.stream(task, index=index)
    async for event in stream:
        kind = event["type"]
        if kind == "retrieved":
            print(f"retrieved {len(event['citations'])}: {', '.join(event['citations'][:3])}, ...")
        elif kind == "prompt_built":
            print(f"prompt built: {event['tokens']} of {event['budget']} tokens, {event['omitted']} parts left out")
        elif kind == "generating":
            print(f"  | {event['text']}", end="")
        elif kind == "validated":
            print(f"validated round {event['round']}: {event['errors']} errors, {event['warnings']} warnings")
        elif kind == "correcting":
            print(f"correcting {event['errors']} errors")
        elif kind == "done":
            print(f"done: {event['outcome']} after {event['rounds']} rounds")
        else:
            print(kind, event)
    result = stream.result
    assert result is not None
    elapsed = (time.perf_counter() - started) * 1000
    print(f"{result['model']}: {len(result['files'])} file(s) in {elapsed:.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
