"""Work on a worker thread that an asyncio task can stop."""

from __future__ import annotations

import asyncio
from typing import Callable, TypeVar

T = TypeVar("T")


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
