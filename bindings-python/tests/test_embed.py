"""infrarag.embed from Python against a local OpenAI-compatible server:
batching, headers, retries, ProviderError's fields, an index embedding
through it, and the async variants."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

import pytest

from infrarag import CancelledError, InvalidArgumentError, ProviderError
from infrarag.embed import Hashing, HttpEmbedder
from infrarag.index import Index

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

#: (status, extra headers, body or None for embeddings of the inputs)
Reply = tuple[int, dict[str, str], Optional[str]]


def vector_of(text: str) -> list[float]:
    return [float(len(text)), float(text.count("a")), 1.0]


class Server:
    def __init__(self, script: Callable[[int], Reply]) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                n = len(outer.requests)
                outer.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status, headers, text = script(n)
                if text is None:
                    data = [
                        {"object": "embedding", "index": i, "embedding": vector_of(t)}
                        for i, t in reversed(list(enumerate(body["input"])))
                    ]
                    text = json.dumps({"object": "list", "data": data, "model": body["model"]})
                payload = text.encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("x-request-id", f"req-{n}")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1/embeddings"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[int], Reply]], Server]]:
    servers: list[Server] = []

    def start(script: Callable[[int], Reply]) -> Server:
        servers.append(Server(script))
        return servers[-1]

    yield start
    for s in servers:
        s.httpd.shutdown()


def test_hashing_is_deterministic_and_unit_length() -> None:
    h = Hashing(64)
    [a, b] = h.embed(["aws_s3_bucket.logs", "aws_s3_bucket.logs"])
    assert a == b and len(a) == 64 and h.model == "infrarag-hashing-v1-64"
    assert abs(sum(x * x for x in a) - 1.0) < 1e-5
    with pytest.raises(InvalidArgumentError):
        Hashing(8)


def test_http_embedder_batches_and_sends_headers(serve: Any) -> None:
    server = serve(lambda n: (200, {}, None))
    e = HttpEmbedder(server.url, "m", api_key="sk-1", headers={"x-team": "infra"}, batch_size=2)
    assert e.dimension == 3 and e.model == "m"  # asked of the endpoint
    texts = ["a", "bb", "aaa", "c", "dada"]
    assert e.embed(texts) == [vector_of(t) for t in texts]
    sizes = [len(body["input"]) for _, body in server.requests[1:]]
    assert sorted(sizes) == [1, 2, 2]
    for headers, body in server.requests:
        assert headers["authorization"] == "Bearer sk-1" and headers["x-team"] == "infra"
        assert body["model"] == "m"
    assert asyncio.run(e.embed_async(["ab"])) == [vector_of("ab")]


def test_http_errors_are_retried_then_typed(serve: Any) -> None:
    flaky = serve(lambda n: (429, {"retry-after-ms": "20"}, "{}") if n < 2 else (200, {}, None))
    e = HttpEmbedder(flaky.url, "m", dimension=3)
    assert e.embed(["x"]) == [vector_of("x")]
    assert len(flaky.requests) == 3

    denied = serve(lambda n: (403, {}, '{"error": {"message": "model not allowed"}}'))
    with pytest.raises(ProviderError) as err:
        HttpEmbedder(denied.url, "m", dimension=3).embed(["x"])
    assert (err.value.status, err.value.request_id, err.value.model) == (403, "req-0", "m")
    assert err.value.provider == "127.0.0.1" and err.value.code == "PROVIDER_ERROR"
    assert "model not allowed" in str(err.value)
    assert len(denied.requests) == 1

    with pytest.raises(ProviderError) as down:
        HttpEmbedder("http://127.0.0.1:9/v1/embeddings", "m", dimension=3, max_retries=0).embed(["x"])
    assert down.value.status is None
    with pytest.raises(InvalidArgumentError):
        HttpEmbedder("not a url", "m")


def test_an_index_embeds_through_an_endpoint(serve: Any, tmp_path: Path) -> None:
    server = serve(lambda n: (200, {}, None))
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.tf").write_text('variable "aaaa" {}\n')
    (src / "b.tf").write_text('resource "aws_iam_role" "this" {\n  name = var.aaaa\n}\n')
    e = HttpEmbedder(server.url, "test-embed", dimension=3)
    with Index.open(tmp_path / "idx", embedder=e) as index:
        assert index.model == "test-embed"
        first = index.add_path(src)
        assert (first["chunks"], first["embedded"]) == (2, 4)
        assert sum(len(body["input"]) for _, body in server.requests) == 4
        assert len(index.search("aaaa", mode="vector")) == 2
        # The role's summary quotes the variable's description: both files
        # are chunked again, but the role's unchanged text is not sent.
        (src / "a.tf").write_text('variable "aaaa" {\n  description = "Zebra role name"\n}\n')
        before = len(server.requests)
        again = index.add_path(src)
        sent = [t for _, body in server.requests[before:] for t in body["input"]]
        assert (again["updated"], again["chunks"], again["embedded"]) == (2, 2, 3)
        assert len(sent) == 3 and all("Zebra role name" in t for t in sent), sent
        assert not any(t.startswith('resource "aws_iam_role"') for t in sent)
    with pytest.raises(Exception, match=r"test-embed \(3 dimensions\)"):
        Index.open(tmp_path / "idx")


def test_async_variants_run_and_cancel_cleanly(tmp_path: Path) -> None:
    s3 = CORPUS / "modules" / "s3"

    async def main() -> None:
        index = await Index.open_async(tmp_path / "idx")
        first = asyncio.ensure_future(index.add_path_async(s3))
        await asyncio.sleep(0)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        assert len(index) == 0 and index.sources() == []
        seen: list[str] = []
        report = await index.add_path_async(s3, progress=lambda d, t, s: seen.append(s))
        assert report["added"] > 10 and "embedding" in seen
        hits, other = await asyncio.gather(
            index.search_async("encrypt bucket with KMS", k=5), index.search_async("vpc", k=1)
        )
        assert "aws_s3_bucket_server_side_encryption_configuration.this" in [h.chunk.address for h in hits] and len(other) == 1
        index.close()

    asyncio.run(main())
    assert CancelledError.code == "CANCELLED"


def test_http_transport_options_are_the_chat_clients_and_default_when_unset(serve: Any) -> None:
    busy = (429, {"retry-after-ms": "20"}, "{}")
    server = serve(lambda n: busy)
    with pytest.raises(ProviderError) as err:
        HttpEmbedder(server.url, "m", dimension=3, max_retries=0).embed(["x"])
    assert err.value.status == 429 and len(server.requests) == 1

    server = serve(lambda n: busy if n == 0 else (200, {}, None))
    with pytest.raises(ProviderError) as err:
        HttpEmbedder(server.url, "m", dimension=3, max_retry_after=0.01).embed(["x"])
    assert err.value.retry_after == pytest.approx(0.02) and len(server.requests) == 1
    assert HttpEmbedder(server.url, "m", dimension=3, max_retry_after=None).embed(["x"]) == [vector_of("x")]

    with pytest.raises(InvalidArgumentError) as bad:
        HttpEmbedder(server.url, "m", dimension=3, backoff=-1.0)
    assert bad.value.argument == "backoff"

