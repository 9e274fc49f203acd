"""The generation loop: retrieve → prompt → generate (calling your tools) →
extract the ```hcl files → validate → send the errors back, for a bounded
number of rounds, with progress events as it goes.

>>> from infrarag.llm import LanguageModel
>>> from infrarag.index import Index
>>> from infrarag.pipeline import Generator
>>> index = Index()
>>> _ = index.add_path("../examples/terraform/web")
>>> gen = Generator(LanguageModel.fallback(), k=20, checks=["undeclared_", "syntax."])
>>> events = []
>>> result = gen.generate("a bucket for logs", index=index, on_event=events.append)
>>> result["outcome"], [e["type"] for e in events][-1]
('valid', 'done')

Events are dicts with a ``type``: ``retrieved``, ``prompt_built``,
``generating`` (streamed text), ``retrying`` (the model's call failed and is
tried again in ``wait_ms``; repeated about once a second while waiting, so
Ctrl-C or an exception in ``on_event`` stops the wait), ``tool_call``,
``tool_result``, ``validated``, ``correcting``, ``done``, ``failed``. :meth:`Generator.stream`
yields them as an async iterator, for a backend to forward over a
WebSocket. Calls release the GIL; Ctrl-C stops them.

A generation stops when its client goes away: cancelling the task that
awaits :meth:`Generator.generate_async`, or that iterates :meth:`Generator.stream`
(as Starlette and FastAPI do when a streaming client disconnects), or
closing the stream (``await stream.aclose()``, ``async with``), stops it
before its next model call and abandons the one in flight. From threads
of your own, pass ``cancel=CancelToken()`` to :meth:`Generator.generate`
and call its ``cancel()``.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Iterable, Optional, Union

from infrarag import _native
from infrarag._native import CancelToken, Conversation, Hit, LanguageModel
from infrarag._tasks import stoppable
from infrarag.index import Index
from infrarag.prompt import _context_item
from infrarag.types import GenerationResult, PipelineEvent
from infrarag.validation import _names

__all__ = ["CancelToken", "Generator", "GenerationStream", "Tool"]


@dataclass(frozen=True)
class Tool:
    """A function the model may call. ``parameters`` is the JSON schema of
    its one argument, a dict; it returns text (or anything JSON-able). An
    exception is reported to the model as a failed call."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[[dict[str, Any]], Any]


class Generator:
    """Runs generations with one model.

    ``max_rounds`` corrections (3) follow the first answer while errors
    remain; ``max_steps`` model calls (8) per answer may ask for tools; ``k``
    hits (6) are retrieved from the index; the prompt fits
    ``context_window`` tokens (200,000) keeping ``reserve_output`` (8,192)
    for the answer; ``checks`` / ``skip_checks`` choose the validation rules
    as :func:`infrarag.validate` does. Arguments left ``None`` keep these
    defaults.
    """

    def __init__(
        self,
        model: LanguageModel,
        *,
        tools: Iterable[Tool] = (),
        max_rounds: Optional[int] = None,
        max_steps: Optional[int] = None,
        k: Optional[int] = None,
        checks: Optional[Iterable[str]] = None,
        skip_checks: Optional[Iterable[str]] = None,
        system: Optional[str] = None,
        context_window: Optional[int] = None,
        reserve_output: Optional[int] = None,
    ) -> None:
        self._native = _native.Generator(
            model,
            tools=[(t.name, t.description, t.parameters, t.function) for t in tools],
            max_rounds=max_rounds,
            max_steps=max_steps,
            k=k,
            checks=_names("checks", checks),
            skip_checks=_names("skip_checks", skip_checks),
            system=system,
            context_window=context_window,
            reserve_output=reserve_output,
        )

    @property
    def model(self) -> str:
        return self._native.model

    def generate(
        self,
        task: str,
        *,
        index: Optional[Index] = None,
        context: Optional[Iterable[Union[Hit, dict[str, Any]]]] = None,
        conversation: Optional[Conversation] = None,
        on_event: Optional[Callable[[PipelineEvent], Any]] = None,
        cancel: Optional[CancelToken] = None,
    ) -> GenerationResult:
        """Runs the loop; returns ``{"outcome", "files", "rounds", "usage",
        "model", "context"}``. ``outcome`` is ``valid``, ``invalid``,
        ``no_code`` or ``step_limit``. An exception from ``on_event`` stops
        the loop and is raised; so does :class:`infrarag.CancelledError`
        once ``cancel`` is cancelled.

        ``conversation`` is packed into the prompt as history; it is read,
        not changed. Record the turn yourself::

            conversation.push("user", task)
            conversation.push("assistant", result["rounds"][-1]["answer"])
        """
        items = [_context_item(c) for c in context] if context is not None else None
        return self._native.generate(
            task,
            index=index._native if index is not None else None,
            context=items,
            conversation=conversation,
            on_event=on_event,
            cancel=cancel,
        )

    async def generate_async(
        self,
        task: str,
        *,
        index: Optional[Index] = None,
        context: Optional[Iterable[Union[Hit, dict[str, Any]]]] = None,
        conversation: Optional[Conversation] = None,
        on_event: Optional[Callable[[PipelineEvent], Any]] = None,
    ) -> GenerationResult:
        """:meth:`generate` on a worker thread (``on_event`` is called
        there). Cancelling the awaiting task stops the loop before its next
        model call, abandons the one in flight, and waits for the worker to
        end before ``asyncio.CancelledError`` is raised."""
        token = CancelToken()
        return await stoppable(
            lambda: self.generate(
                task,
                index=index,
                context=context,
                conversation=conversation,
                on_event=on_event,
                cancel=token,
            ),
            token.cancel,
        )

    def stream(
        self,
        task: str,
        *,
        index: Optional[Index] = None,
        context: Optional[Iterable[Union[Hit, dict[str, Any]]]] = None,
        conversation: Optional[Conversation] = None,
    ) -> "GenerationStream":
        """The loop's events as an async iterator; the result is its
        ``result`` once iteration ends."""
        return GenerationStream(self, task, index, context, conversation)


class GenerationStream:
    """``async for event in generator.stream(task)``; then ``.result``.
    Errors of the loop are raised from the iteration."""

    def __init__(
        self,
        generator: Generator,
        task: str,
        index: Optional[Index],
        context: Optional[Iterable[Union[Hit, dict[str, Any]]]],
        conversation: Optional[Conversation],
    ) -> None:
        self._args = (generator, task, index, context, conversation)
        self._queue: Optional[asyncio.Queue[tuple[str, Any]]] = None
        self._thread: Optional[threading.Thread] = None
        self._cancel = CancelToken()
        self.result: Optional[GenerationResult] = None

    def __aiter__(self) -> "GenerationStream":
        return self

    async def __aenter__(self) -> "GenerationStream":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stops the generation (before its next model call, abandoning
        the one in flight) and waits for its thread to end. Harmless when
        it has ended."""
        self._cancel.cancel()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)

    def _start(self) -> "asyncio.Queue[tuple[str, Any]]":
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        generator, task, index, context, conversation = self._args

        def put(kind: str, value: Any) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, (kind, value))
            except RuntimeError:
                pass  # the loop has closed: nobody is listening any more

        def run() -> None:
            try:
                out = generator.generate(
                    task,
                    index=index,
                    context=context,
                    conversation=conversation,
                    on_event=lambda e: put("event", e),
                    cancel=self._cancel,
                )
                put("result", out)
            except BaseException as err:  # handed to the awaiting task
                put("error", err)

        self._thread = threading.Thread(target=run, name="infrarag-generate", daemon=True)
        self._thread.start()
        return queue

    async def __anext__(self) -> PipelineEvent:
        if self._queue is None:
            self._queue = self._start()
        if self.result is not None:
            raise StopAsyncIteration
        try:
            kind, value = await self._queue.get()
        except asyncio.CancelledError:
            # The consumer went away (a disconnected client): stop paying
            # for the generation.
            self._cancel.cancel()
            raise
        if kind == "event":
            event: PipelineEvent = value
            return event
        if kind == "error":
            raise value
        self.result = value
        raise StopAsyncIteration
