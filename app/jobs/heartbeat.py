"""A queue consumer's sign of life, kept in the queue's own storage (Redis or huey.db) for `hukou doctor`."""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)

KEY = "hukou.worker.heartbeat"
EVERY_SECONDS = 15.0


def beat(huey, worker: str, now: float | None = None) -> None:
    """Record that `worker` (host:pid) is alive now."""
    huey.put(KEY, {"worker": worker, "at": time.time() if now is None else now})


def last_beat(huey) -> dict | None:
    """The newest beat of any consumer of this queue ({'worker', 'at'}), or None when none ever beat."""
    value = huey.get(KEY, peek=True)
    return value if isinstance(value, dict) else None


def start(huey, worker: str, every: float = EVERY_SECONDS) -> threading.Thread:
    """Beat every `every` seconds in a daemon thread for as long as the process lives."""
    def _loop() -> None:
        """Beat; a storage hiccup is logged and retried, never fatal to the consumer."""
        while True:
            try:
                beat(huey, worker)
            except Exception:  # noqa: BLE001  (Redis restarting: the next beat will do)
                log.warning("worker heartbeat could not be written", exc_info=True)
            time.sleep(every)

    thread = threading.Thread(target=_loop, name="hukou-heartbeat", daemon=True)
    thread.start()
    return thread
