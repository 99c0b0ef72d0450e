"""The in-process consumer of `python run.py`: the embedded install runs its jobs without a worker process."""
from __future__ import annotations

import socket

from flask import Flask


def start_in_process(app: Flask, workers: int = 1):
    """Start Huey worker threads (daemon) inside this process; None in immediate mode."""
    from . import huey_of, queue_mode, worker_name
    from .heartbeat import start as start_heartbeat
    from .progress import fail_orphans

    if queue_mode(app) == "immediate":
        return None
    with app.app_context():
        fail_orphans(socket.gethostname())
    consumer = huey_of(app).create_consumer(workers=workers, worker_type="thread", periodic=True)  # reminders
    # The web server owns the process's signals; Huey's handlers would swallow SIGTERM (nobody runs its loop).
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    start_heartbeat(huey_of(app), worker_name())  # `hukou doctor` tells a live consumer by it
    return consumer
