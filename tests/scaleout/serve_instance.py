"""One provider instance as a deployment runs it: a process of its own, `create_app(settings)`
on a settings file, served by werkzeug on a port, until SIGTERM.

    python -m tests.scaleout.serve_instance IDP_TOML PORT

Every instance of a test pair runs this with the same settings file; they share nothing
but what the settings name (the database, Redis, the instance folder with the keys).
"""
from __future__ import annotations

import logging
import signal
import sys
import threading

from werkzeug.serving import make_server

from idp.app import create_app
from idp.config import load_settings
from idp.services import EXTENSION


def main(config: str, port: int) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format=f"%(asctime)s [{port}] %(name)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    app = create_app(load_settings(config, environ={}))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="serve", daemon=True)
    thread.start()
    print(f"ready on {port}", flush=True)
    stop.wait()
    server.shutdown()
    thread.join()
    server.server_close()
    found = app.extensions[EXTENSION]
    found.outbound.stop_background_sender(timeout=5)
    found.store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
