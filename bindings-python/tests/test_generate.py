"""Models, prompts, memory and the generation loop from Python, against a
local server replaying the recorded wire formats in tests/fixtures/llm."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

import infrarag
from infrarag.index import Index
from infrarag.llm import LanguageModel
from infrarag.pipeline import Generator, Tool
from infrarag.prompt import Conversation, PromptBuilder, Template, redact
from infrarag.types import Completion, PipelineEvent

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "llm"
WEB = str(ROOT / "examples" / "terraform" / "web")


HANG = object()


class Replay:
    """Answers each POST with the next scripted reply: a fixture's name
    (streamed with status 200), (status, headers, body), or HANG (no answer
    until the server is closed)."""

    def __init__(self, replies: list[Any]) -> None:
        self.replies = list(replies)
        self.seen: list[Any] = []
        self.released = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"null")
                outer.seen.append({"path": self.path, "headers": dict(self.headers), "body": body})
                reply = outer.replies.pop(0) if outer.replies else (500, {}, '{"error":{"message":"none"}}')
                if reply is HANG:
                    outer.released.wait(60)
                    return
                if isinstance(reply, str):
                    status, headers, text, kind = 200, {}, (FIXTURES / reply).read_text(), "text/event-stream"
                else:
                    status, headers, text = reply
                    kind = "application/json"
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("request-id", f"req_{len(outer.seen)}")
                self.send_header("connection", "close")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()


@pytest.fixture
def replay() -> Iterator[Any]:
    servers: list[Replay] = []

    def start(replies: list[Any]) -> Replay:
        servers.append(Replay(replies))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def text_of(done: Completion) -> str:
    """The first text block of a completion."""
    return next(b["text"] for b in done["content"] if b["type"] == "text")


def anthropic(base: str) -> LanguageModel:
    return LanguageModel.anthropic("claude-sonnet-4-5", api_key="sk-ant-test", base_url=base, backoff=0.01, max_backoff=0.02)


def test_anthropic_stream_with_a_tool_call(replay: Any) -> None:
    server = replay(["anthropic_tool_use.sse"])
    deltas: list[Any] = []
    done = anthropic(server.base).complete(
        {"system": "You write Terraform.", "messages": [{"role": "user", "content": "which bucket?"}], "max_tokens": 256},
        on_delta=deltas.append,
    )
    assert done["stop_reason"] == "tool_use"
    assert done["content"][1] == {
        "type": "tool_use",
        "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
        "name": "lookup",
        "input": {"address": "aws_s3_bucket.logs"},
    }
    assert done["usage"] == {"input_tokens": 472, "output_tokens": 89, "cache_write_tokens": 0, "cache_read_tokens": 401}
    assert [d["type"] for d in deltas] == ["text", "text", "tool_use", "tool_input", "tool_input"]
    sent = server.seen[0]
    assert sent["path"] == "/v1/messages"
    assert sent["headers"]["x-api-key"] == "sk-ant-test"
    assert sent["body"]["system"] == [{"type": "text", "text": "You write Terraform."}]
    assert sent["body"]["max_tokens"] == 256


def test_overload_is_retried_and_errors_carry_fields(replay: Any) -> None:
    server = replay([(529, {}, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'), "anthropic_text.sse"])
    done = anthropic(server.base).complete("hi")
    assert "acme-logs" in text_of(done)
    assert len(server.seen) == 2

    server = replay([(401, {}, '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}')])
    with pytest.raises(infrarag.ProviderError) as err:
        anthropic(server.base).complete("hi")
    assert err.value.status == 401 and err.value.request_id == "req_1" and err.value.model == "claude-sonnet-4-5"
    assert "invalid x-api-key" in str(err.value)


def test_a_wait_before_retrying_is_reported_and_can_be_stopped(replay: Any) -> None:
    server = replay([(529, {"retry-after": "30"}, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'), "anthropic_text.sse"])
    seen: list[Any] = []

    def give_up(event: PipelineEvent) -> None:
        seen.append(event)
        if event["type"] == "retrying":
            raise KeyboardInterrupt

    gen = Generator(anthropic(server.base), checks=["undeclared_"])
    with pytest.raises(KeyboardInterrupt):
        gen.generate("which bucket?", on_event=give_up)
    retrying = seen[-1]
    assert retrying["attempt"] == 1 and 29_000 < retrying["wait_ms"] <= 30_000
    assert "Overloaded" in retrying["reason"]
    assert len(server.seen) == 1, "the 30 s wait was not sat out"

    deltas: list[Any] = []
    server = replay([(429, {"retry-after": "0.2"}, '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'), "anthropic_text.sse"])
    done = anthropic(server.base).complete("hi", on_delta=deltas.append)
    assert "acme-logs" in text_of(done)
    assert deltas[0]["type"] == "retrying" and deltas[0]["attempt"] == 1 and "slow down" in deltas[0]["reason"]
    assert {d["type"] for d in deltas[1:]} == {"text"}


def test_a_request_that_is_not_a_string_or_dict_is_refused() -> None:
    with pytest.raises(infrarag.InvalidArgumentError) as err:
        LanguageModel.fallback().complete([1, 2])  # type: ignore[arg-type]
    assert err.value.argument == "request"


def test_openai_stream(replay: Any) -> None:
    server = replay(["openai_text.sse"])
    model = LanguageModel.openai("gpt-4o", api_key="sk-test", base_url=server.base + "/v1")
    done = model.complete("write a bucket")
    assert done["usage"]["input_tokens"] == 812
    assert server.seen[0]["path"] == "/v1/chat/completions"
    assert server.seen[0]["headers"]["authorization"] == "Bearer sk-test"


def test_prompt_packs_in_order_and_redacts() -> None:
    index = Index()
    index.add_path(WEB)
    hits = index.search("bucket for logs", k=6)
    conv = Conversation(10_000)
    for i in range(4):
        conv.push("user" if i % 2 == 0 else "assistant", f"turn {i} " + "about buckets " * 10)
    full = PromptBuilder().system("You write Terraform.").context(hits).history(conv).user("AKIAIOSFODNN7EXAMPLE?").build()
    assert full.omitted == [] and len(full.context) == 6
    assert full.redactions[0]["kind"] == "aws_access_key_id"
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(full.to_openai("gpt-4o"))
    small = (
        PromptBuilder(context_window=full.tokens - 20, reserve_output=10)
        .system("You write Terraform.")
        .context(hits)
        .history(conv)
        .user("AKIAIOSFODNN7EXAMPLE?")
        .build()
    )
    assert small.tokens <= small.budget
    # 30 tokens short: the oldest turns go first, and only they.
    assert small.omitted and {o["kind"] for o in small.omitted} == {"turn"}
    assert [o["label"] for o in small.omitted] == [f"turn {i}" for i in range(len(small.omitted))]
    assert len(small.context) == 6
    with pytest.raises(infrarag.InvalidArgumentError) as err:
        PromptBuilder(context_window=50, reserve_output=40).user("x " * 100).build()
    assert err.value.argument == "budget"
    with pytest.raises(infrarag.InvalidArgumentError):
        PromptBuilder().build()


def test_conversation_compacts_with_a_callable_and_round_trips() -> None:
    conv = Conversation(60, keep_latest=2)
    for i in range(8):
        conv.push("user" if i % 2 == 0 else "assistant", f"turn {i}: " + "word " * 9)
    assert conv.over_budget
    calls: list[tuple[Any, int]] = []

    def summarise(previous: Any, turns: list[dict[str, Any]]) -> str:
        calls.append((previous, len(turns)))
        return f"{len(turns)} turns about words"

    done = conv.compact(summarise)
    assert done is not None and done["folded"] == calls[0][1] and conv.tokens <= 60
    assert conv.summary is not None and conv.summary["turns"] == done["folded"]
    assert conv.turns[0]["role"] == "user"
    again = Conversation.from_json(conv.to_json())
    assert again.to_json() == conv.to_json()
    for i in range(6):
        conv.push("user" if i % 2 == 0 else "assistant", "more " * 10)
    before = conv.to_json()

    def broken(previous: Any, turns: Any) -> str:
        raise RuntimeError("summariser down")

    with pytest.raises(RuntimeError, match="summariser down"):
        conv.compact(broken)
    assert conv.to_json() == before
    with pytest.raises(infrarag.InvalidArgumentError):
        conv.push("system", "x")


def test_templates_and_redaction() -> None:
    t = Template("Write {{kind}} in {{region}}")
    assert t.variables == ["kind", "region"]
    with pytest.raises(infrarag.InvalidArgumentError) as err:
        t.render(kind="a bucket")
    assert err.value.argument == "region"
    text, found = redact('token = "ghp_0123456789abcdefghijABCDEFGHIJ012345"\n')
    assert "ghp_" not in text and found[0]["kind"] == "github_token" and found[0]["line"] == 1


def test_fallback_generation_offline_sync_and_async() -> None:
    index = Index()
    index.add_path(WEB)
    gen = Generator(LanguageModel.fallback(), k=20, checks=["undeclared_", "syntax."])
    events: list[Any] = []
    out = gen.generate("a bucket for logs", index=index, on_event=events.append)
    assert out["outcome"] == "valid" and out["model"] == "infrarag-fallback"
    assert [r["problems"] != [] for r in out["rounds"]] == [True, False]
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["retrieved", "prompt_built"] and kinds[-1] == "done"
    assert "correcting" in kinds

    async def collect() -> tuple[list[Any], Any]:
        stream = gen.stream("a bucket for logs", index=index)
        seen = [e["type"] async for e in stream]
        return seen, stream.result

    seen, result = asyncio.run(collect())
    assert seen == kinds
    assert result is not None and result["files"] == out["files"]


def test_schema_findings_correct_an_invented_argument(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "logs" {\n  bucket_name   = "acme-logs"\n  shiny_feature = true\n}\n'
    )
    index = Index()
    index.add_path(tmp_path)
    out = Generator(LanguageModel.fallback(), checks=["schema."]).generate("a bucket for logs", index=index)
    first = out["rounds"][0]["problems"]
    assert [(p["code"], p["line"]) for p in first] == [("schema.unsupported_argument", 2), ("schema.unsupported_argument", 3)]
    assert first[0]["fix"] == 'replace with bucket (replace with "bucket")' and first[1]["fix"] is None
    assert out["outcome"] == "valid" and len(out["rounds"]) == 2
    [main] = out["files"]
    assert '  bucket   = "acme-logs"\n' in main["text"] and "shiny_feature" not in main["text"]


def test_tools_are_called_and_failures_reported(replay: Any) -> None:
    server = replay(["anthropic_tool_use.sse", "anthropic_text.sse"])
    got: list[dict[str, Any]] = []

    def lookup(args: dict[str, Any]) -> dict[str, Any]:
        got.append(args)
        return {"found": args["address"]}

    tool = Tool("lookup", "Finds a block", {"type": "object", "properties": {"address": {"type": "string"}}, "required": ["address"]}, lookup)
    gen = Generator(anthropic(server.base), tools=[tool], checks=["undeclared_"])
    events: list[Any] = []
    out = gen.generate("which bucket?", on_event=events.append)
    assert out["outcome"] == "valid"
    assert got == [{"address": "aws_s3_bucket.logs"}]
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["output"] == '{"found": "aws_s3_bucket.logs"}' and not result["is_error"]
    assert server.seen[1]["body"]["messages"][2]["content"][0]["content"] == '{"found": "aws_s3_bucket.logs"}'

    server = replay(["anthropic_tool_use.sse", "anthropic_text.sse"])

    def broken(args: dict[str, Any]) -> str:
        raise KeyError("no such block")

    gen = Generator(anthropic(server.base), tools=[Tool("lookup", "x", {"type": "object"}, broken)], checks=["undeclared_"])
    events = []
    gen.generate("which bucket?", on_event=events.append)
    failed = next(e for e in events if e["type"] == "tool_result")
    assert failed["is_error"] and "no such block" in failed["output"]
    assert failed["output"].startswith("lookup failed: KeyError") and "invalid argument" not in failed["output"]


def test_an_exception_in_on_event_stops_the_loop() -> None:
    gen = Generator(LanguageModel.fallback())

    def stop(event: PipelineEvent) -> None:
        if event["type"] == "prompt_built":
            raise ValueError("client went away")

    with pytest.raises(ValueError, match="client went away"):
        gen.generate("x", context=[{"citation": "a.tf:1-1", "text": "a = 1"}], on_event=stop)


def test_a_multi_turn_chat_stays_within_its_budgets(replay: Any) -> None:
    # Each answer is the recorded text stream; summaries come from the same
    # model, as a backend without a separate summariser would do it.
    turns = 12
    server = replay(["anthropic_text.sse"] * (turns * 2))
    model = anthropic(server.base)
    conv = Conversation(400, keep_latest=2)
    folded = 0
    for i in range(turns):
        conv.push("user", f"question {i}: " + "what about the bucket policy? " * 8)
        done = conv.compact(model)
        folded += done["folded"] if done else 0
        assert conv.tokens <= 400 or len(conv.turns) <= 2
        p = PromptBuilder(context_window=1500, reserve_output=300).system("You write Terraform.").history(conv).user("go on").build()
        assert p.tokens <= p.budget
        answer = model.complete(p.request)
        conv.push("assistant", text_of(answer))
    assert folded > 0 and conv.summary is not None
    assert conv.summary["turns"] == folded
    assert "acme-logs" in conv.summary["text"]
    summaries = [s for s in server.seen if "Summarise the conversation" in json.dumps(s["body"].get("system", ""))]
    assert len(summaries) >= 1


async def _until(condition: Any) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


def test_cancelling_generate_async_abandons_the_model_call_and_sends_no_other(replay: Any) -> None:
    server = replay([HANG, "anthropic_text.sse"])
    gen = Generator(anthropic(server.base))

    async def go() -> None:
        task = asyncio.ensure_future(gen.generate_async("a bucket"))
        await _until(lambda: len(server.seen) == 1)
        task.cancel()
        # Without cancellation reaching the model call, this waits for the
        # hanging server and fails here.
        done, _ = await asyncio.wait([task], timeout=20)
        assert done and task.cancelled()
        await asyncio.sleep(0.2)

    asyncio.run(go())
    assert len(server.seen) == 1


def test_a_stream_whose_consumer_goes_away_stops(replay: Any) -> None:
    server = replay([HANG, "anthropic_text.sse"])
    gen = Generator(anthropic(server.base))

    async def consume() -> None:
        async for _ in gen.stream("a bucket"):
            pass

    async def disconnect() -> None:
        task = asyncio.ensure_future(consume())
        await _until(lambda: len(server.seen) == 1)
        task.cancel()
        await asyncio.wait([task], timeout=20)
        assert task.cancelled()
        # The generation's thread ends instead of waiting for the model.
        await _until(lambda: not any(t.name == "infrarag-generate" for t in threading.enumerate()))

    async def close() -> None:
        async with gen.stream("a bucket") as stream:
            assert (await stream.__anext__())["type"] == "retrieved"
            await _until(lambda: len(server.seen) == 2)
        await asyncio.wait_for(stream.aclose(), 20)
        assert stream.result is None

    asyncio.run(disconnect())
    server.replies = [HANG, "anthropic_text.sse"]
    asyncio.run(close())
    assert len(server.seen) == 2


def test_a_cancel_token_stops_generate_from_another_thread(replay: Any) -> None:
    server = replay([HANG, "anthropic_text.sse"])
    token = infrarag.CancelToken()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            Generator(anthropic(server.base)).generate("a bucket", cancel=token)
        except BaseException as e:
            errors.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    asyncio.run(_until(lambda: len(server.seen) == 1))
    token.cancel()
    worker.join(20)
    assert not worker.is_alive()
    assert token.cancelled and len(errors) == 1
    assert isinstance(errors[0], infrarag.CancelledError) and errors[0].code == "CANCELLED"
    assert len(server.seen) == 1


def test_generate_reads_the_conversation_and_leaves_recording_to_the_caller() -> None:
    conversation = Conversation(2000)
    conversation.push("user", "we keep logs for 90 days")
    before = conversation.to_json()
    result = Generator(LanguageModel.fallback()).generate(
        "a bucket for logs", context=[{"citation": "a.tf:1-3", "text": 'resource "aws_s3_bucket" "logs" {}'}], conversation=conversation
    )
    assert conversation.to_json() == before
    conversation.push("user", "a bucket for logs")
    conversation.push("assistant", result["rounds"][-1]["answer"])
    assert len(conversation.turns) == 3


def test_compacting_with_the_fallback_ends_within_budget_without_its_code() -> None:
    conversation = Conversation(300, keep_latest=2)
    for i in range(12):
        text = f'Step {i}: add a bucket.\n```hcl\nresource "aws_s3_bucket" "b{i}" {{}}\n```\n' + "with versioning " * 8
        conversation.push("user" if i % 2 == 0 else "assistant", text)
    done = conversation.compact(LanguageModel.fallback())
    assert done is not None and done["within_budget"] and conversation.tokens <= 300
    assert conversation.summary is not None and "infrarag-fallback" not in conversation.summary["text"]


def test_a_retry_after_past_the_cap_fails_at_once_with_the_wait(replay: Any) -> None:
    limited = (429, {"retry-after": "3600"}, '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}')
    server = replay([limited, "anthropic_text.sse"])
    with pytest.raises(infrarag.ProviderError) as e:
        anthropic(server.base).complete("hi")
    assert e.value.status == 429 and e.value.retry_after == 3600.0
    assert "longer than the 60.0 s" in str(e.value)
    assert len(server.seen) == 1
    server = replay([(429, {"retry-after": "0.05"}, limited[2]), "anthropic_text.sse"])
    model = LanguageModel.anthropic("m", api_key="k", base_url=server.base, max_retry_after=0.1)
    assert "acme-logs" in text_of(model.complete("hi"))


def test_chat_clients_take_the_embedders_transport_options(replay: Any) -> None:
    overloaded: Any = (529, {}, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}')
    server = replay([overloaded, "anthropic_text.sse"])
    model = LanguageModel.anthropic("m", api_key="k", base_url=server.base, headers={"x-team": "infra"}, max_retries=0)
    with pytest.raises(infrarag.ProviderError) as err:
        model.complete("hi")
    assert err.value.status == 529 and len(server.seen) == 1
    assert server.seen[0]["headers"]["x-team"] == "infra"
    with pytest.raises(infrarag.InvalidArgumentError) as bad:
        LanguageModel.openai("m", base_url=server.base, timeout=float("nan"))
    assert bad.value.argument == "timeout"
