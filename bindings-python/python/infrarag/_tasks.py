"""Work on a worker thread that an asyncio task can stop."""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Any, Callable, Coroutine, TypeVar

if TYPE_CHECKING:
    from typing_extensions import ParamSpec

    P = ParamSpec("P")

T = TypeVar("T")


def on_thread(f: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """``f`` as a coroutine function that runs it on a worker thread, for the
    ``_async`` twin of a blocking call: the native work releases the GIL, so
    the event loop goes on meanwhile."""

    @functools.wraps(f)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return await asyncio.to_thread(f, *args, **kwargs)

    run.__name__ = run.__qualname__ = f"{f.__name__}_async"
    run.__doc__ = f":{'meth' if '.' in f.__qualname__ else 'func'}:`{f.__name__}` on a worker thread."
    return run


async def stoppable(call: Callable[[], T], stop: Callable[[], object]) -> T:
    """Runs ``call`` on a worker thread. Cancelling the awaiting task calls
    ``stop``, waits for the worker to end (so nothing runs on behind the
    caller's back), then raises ``asyncio.CancelledError``."""
    work = asyncio.ensure_future(asyncio.to_thread(call))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        stop()
        await asyncio.wait([work])
        # Retrieved here, so asyncio does not log it as never retrieved.
        if not work.cancelled():
            work.exception()
        raise
