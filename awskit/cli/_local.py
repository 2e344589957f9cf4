"""``awskit local``: serve the embedded endpoint (moto) until Ctrl-C."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated

import typer

from ._app import Options, app, command

__all__ = ["serve"]


@command(app, "local", aws=False)
def serve(
    opts: Options,
    port: Annotated[
        int, typer.Option("--port", "-p", help="Port on 127.0.0.1 (0: any free port).", min=0)
    ] = 0,
) -> None:
    """Serve the embedded AWS endpoint on 127.0.0.1 until Ctrl-C.

    Prints the `export` lines that point other shells (and awskit, boto3, the AWS CLI)
    at it, with dummy credentials: nothing leaves the machine. It starts empty: create a
    queue, a table or a bucket first.

    Ctrl-C (or SIGTERM) stops it, with exit status 0.

    Example: awskit local --port 5000
    """
    from awskit._local import DUMMY_CREDENTIALS, LocalEndpoint

    region = opts.region or "us-east-1"
    with LocalEndpoint(port) as endpoint:
        exports = {
            "AWS_ENDPOINT_URL": endpoint.url,
            "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": region,
        }
        if opts.json:
            opts.emit({"endpoint_url": endpoint.url, "environment": exports})
        else:
            for name, value in exports.items():
                sys.stdout.write(f"export {name}={value}\n")
            sys.stdout.flush()
        opts.say(f"Serving the embedded AWS endpoint on {endpoint.url}; Ctrl-C to stop.")
        # It starts empty: the first command that works makes something, then uses it.
        opts.say("It starts empty. In another shell, after the export lines above:")
        opts.say("  awskit sqs create jobs")
        opts.say("  awskit sqs send jobs hello")
        stop = threading.Event()
        # SIGTERM (kill, a service manager) stops it as cleanly as Ctrl-C does.
        previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        opts.say("Stopped.")
