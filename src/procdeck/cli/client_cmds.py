"""Client commands: ``procdeck processes | process | execute | jobs | job | results | dismiss
| configure``.

Output is a plain table (or ``--json``). Exit codes: 0 ok, 2 usage or
configuration error, 3 server/HTTP error or unusable answer, 4 network error
(refused, reset, timeout), 5 job failed or dismissed, 6 gave up waiting for a
job (``--timeout``), 1 internal error. Tracebacks only with ``--debug`` or
``PROCDECK_DEBUG=1``.
"""

from __future__ import annotations

import itertools
import json
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from procdeck.cli._app import app

if TYPE_CHECKING:
    from procdeck.client import Client, ClientError
    from procdeck.ogc.models import InputDescription, JobInfo, Schema

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_SERVER = 3
EXIT_NETWORK = 4
EXIT_JOB_FAILED = 5
EXIT_WAIT_TIMEOUT = 6

_CELL_WIDTH = 60

ServerUrlOption = Annotated[
    str | None,
    typer.Option(
        "--server-url",
        "-s",
        help="Server base URL (default: $PROCDECK_SERVER_URL, the config file, "
        "http://127.0.0.1:8008).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DebugOption = Annotated[
    bool,
    typer.Option("--debug", envvar="PROCDECK_DEBUG", help="Show tracebacks of errors."),
]


def open_client(server_url: str | None) -> Client:
    """The client the commands use (tests replace this to inject a transport)."""
    from procdeck.client import Client

    return Client(server_url=server_url)


# -- errors and exit codes --------------------------------------------------------------------


def exit_code_for(error: ClientError) -> int:
    """The exit code that tells scripts what kind of failure ``error`` is."""
    from procdeck.client import errors

    if isinstance(error, errors.ConfigError | errors.InvalidRequestError):
        return EXIT_USAGE
    if isinstance(error, errors.ConnectionFailedError | errors.RequestTimeoutError):
        return EXIT_NETWORK
    if isinstance(error, errors.JobFailedError):
        return EXIT_JOB_FAILED
    if isinstance(error, errors.WaitTimeoutError):
        return EXIT_WAIT_TIMEOUT
    return EXIT_SERVER


@contextmanager
def reporting(debug: bool) -> Iterator[None]:
    """Turn exceptions into a one-line message and an exit code (a traceback only in debug)."""
    from procdeck.client import ClientError

    try:
        yield
    except (typer.Exit, typer.Abort, typer.BadParameter):
        raise
    except ClientError as error:
        if debug:
            traceback.print_exc()
            if error.traceback:
                typer.echo(f"Server traceback:\n{error.traceback}", err=True)
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(exit_code_for(error)) from None
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        raise typer.Exit(130) from None
    except Exception as error:
        if debug:
            raise
        typer.echo(
            f"Internal error: {type(error).__name__}: {error} (run with --debug for details)",
            err=True,
        )
        raise typer.Exit(EXIT_INTERNAL) from None


# -- formatting -------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        text = value.isoformat(timespec="seconds")
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    text = " ".join(text.split())
    return text if len(text) <= _CELL_WIDTH else text[: _CELL_WIDTH - 1] + "…"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as aligned columns under upper-case headers."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, sort_keys=True, default=str))


def _schema_type(schema: Schema) -> str:
    if schema.type:
        kind = "|".join(schema.type) if isinstance(schema.type, list) else schema.type
        if kind == "array" and isinstance(schema.items, type(schema)):
            kind = f"{_schema_type(schema.items)}[]"
    elif schema.oneOf or schema.anyOf:
        kind = " | ".join(_schema_type(s) for s in (schema.oneOf or schema.anyOf or []))
    elif schema.ref:
        kind = schema.ref.rsplit("/", 1)[-1]
    elif schema.allOf:
        kind = "allOf"
    else:
        kind = "any"
    if schema.format:
        kind = f"{kind} ({schema.format})"
    if schema.enum:
        kind = f"{kind} {{{', '.join(str(v) for v in schema.enum)}}}"
    return kind


def _input_row(name: str, description: InputDescription) -> list[Any]:
    schema = description.schema_
    kind = _schema_type(schema)
    if description.is_array:
        kind = f"{kind} x{description.maxOccurs}"
    default = schema.default if "default" in schema.model_fields_set else None
    return [name, kind, "no" if description.is_optional else "yes", default, description.title]


def _job_rows(job: JobInfo) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("job", job.jobID),
        ("process", job.processID),
        ("status", str(job.status)),
        ("progress", f"{job.progress}%" if job.progress is not None else None),
        ("message", job.message),
        ("created", job.created),
        ("started", job.started),
        ("finished", job.finished),
        ("updated", job.updated),
    ]
    return [(key, value) for key, value in rows if value is not None]


def _print_job(job: JobInfo, as_json: bool) -> None:
    if as_json:
        _print_json(job.to_dict())
        return
    rows = _job_rows(job)
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        typer.echo(f"{key.ljust(width)}  {_cell(value)}")


def parse_inputs(pairs: Sequence[str]) -> dict[str, Any]:
    """``name=value`` pairs as inputs: JSON values when they parse, else strings.

    A name given more than once collects its values in a list (an input with maxOccurs > 1).
    """
    inputs: dict[str, Any] = {}
    repeated: set[str] = set()
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise typer.BadParameter(f"expected name=value, got {pair!r}", param_hint="-i/--input")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        if name in inputs:
            if name not in repeated:
                inputs[name] = [inputs[name]]
                repeated.add(name)
            inputs[name].append(value)
        else:
            inputs[name] = value
    return inputs


# -- commands ---------------------------------------------------------------------------------


@app.command()
def processes(
    server_url: ServerUrlOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """List the processes a server offers."""
    with reporting(debug), open_client(server_url) as client:
        if as_json:
            _print_json(client.get_processes().to_dict())
            return
        # The table's columns fit the widest cell, so it is printed once every page is read.
        rows = [[p.id, p.title, p.version, p.description] for p in client.iter_processes()]
        typer.echo(format_table(["id", "title", "version", "description"], rows))


@app.command()
def process(
    process_id: Annotated[str, typer.Argument(help="The process id.")],
    server_url: ServerUrlOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Describe one process: its inputs and outputs."""
    with reporting(debug), open_client(server_url) as client:
        description = client.get_process(process_id)
        if as_json:
            _print_json(description.to_dict())
            return
        typer.echo(f"{description.id}: {description.title or ''}".rstrip(": "))
        if description.version:
            typer.echo(f"version {description.version}")
        if description.description:
            typer.echo(description.description)
        typer.echo("\nInputs")
        input_rows = [_input_row(n, d) for n, d in description.inputs.items()]
        typer.echo(format_table(["name", "type", "required", "default", "title"], input_rows))
        typer.echo("\nOutputs")
        output_rows = [
            [n, _schema_type(d.schema_), d.title] for n, d in description.outputs.items()
        ]
        typer.echo(format_table(["name", "type", "title"], output_rows))


@app.command()
def execute(
    process_id: Annotated[str, typer.Argument(help="The process id.")],
    inputs: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            help="An input as name=value; the value is JSON when it parses, else a string. "
            "Repeat for more inputs (a repeated name makes a list).",
        ),
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the job, print results.")] = False,
    sync: Annotated[
        bool,
        typer.Option(
            "--sync",
            help="Ask for synchronous execution (no 'Prefer: respond-async') and print the "
            "results; a server that runs the job asynchronously anyway is waited for.",
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option("--timeout", help="With --wait or --sync: give up after this many seconds."),
    ] = None,
    server_url: ServerUrlOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Execute a process (asynchronously) and print the job, or its results with --wait
    or --sync."""
    from procdeck.client import JobFailedError
    from procdeck.ogc.models import JobStatus

    request = {"inputs": parse_inputs(inputs or [])}
    with reporting(debug), open_client(server_url) as client:
        job = client.execute_process(process_id, request, mode="sync" if sync else "async")
        if not (wait or sync):
            _print_job(job, as_json)
            return
        if not as_json:
            typer.echo(f"job {job.jobID}: {job.status}", err=True)

        def progress(update: JobInfo) -> None:
            if not as_json:
                percent = f" {update.progress}%" if update.progress is not None else ""
                typer.echo(f"job {update.jobID}: {update.status}{percent}", err=True)

        final = job if job.is_final else client.wait_for_job(job.jobID, timeout, on_update=progress)
        if final.status != JobStatus.SUCCESSFUL:
            reason = f": {final.message}" if final.message else ""
            raise JobFailedError(f"job {final.jobID} ended {final.status}{reason}", job=final)
        _print_results(client.get_job_results(final.jobID).to_dict(), as_json)


@app.command()
def jobs(
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Only jobs with this status (repeatable)."),
    ] = None,
    process_ids: Annotated[
        list[str] | None,
        typer.Option("--process", help="Only jobs of this process (repeatable)."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="At most this many jobs.")] = None,
    server_url: ServerUrlOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """List jobs."""
    with reporting(debug), open_client(server_url) as client:
        if as_json:
            listing = client.get_jobs(process_id=process_ids, status=status, limit=limit)
            _print_json(listing.to_dict())
            return
        # Pages are read only until ``limit`` jobs are in (each page asked for ``limit``).
        listed = client.iter_jobs(process_id=process_ids, status=status, page_size=limit)
        rows = [
            [
                j.jobID,
                j.processID,
                str(j.status),
                f"{j.progress}%" if j.progress is not None else "",
                j.created,
                j.message,
            ]
            for j in itertools.islice(listed, limit)
        ]
        typer.echo(
            format_table(["job", "process", "status", "progress", "created", "message"], rows)
        )


@app.command()
def job(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    server_url: ServerUrlOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Show a job's status."""
    with reporting(debug), open_client(server_url) as client:
        _print_job(client.get_job(job_id), as_json)


def _print_results(results: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(results)
        return
    rows = []
    for name, result in results.items():
        if isinstance(result, dict) and "href" in result:
            shown = result["href"] + (f" ({result['type']})" if result.get("type") else "")
        elif isinstance(result, dict) and "value" in result:
            shown = result["value"]
        else:
            shown = result
        rows.append([name, shown])
    typer.echo(format_table(["output", "value"], rows))


@app.command()
def results(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Only this output (default: every output).")] = None,
    download: Annotated[Path | None, typer.Option(
        "--download", "-d", file_okay=False,
        help="Write the output(s) as files into this directory: links streamed with "
             "progress, values in their media type.")] = None,
    server_url: ServerUrlOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Print the results of a finished job, or download them as files."""
    with reporting(debug), open_client(server_url) as client:
        if download is None:
            document = client.get_job_results(job_id).to_dict()
            if output is not None:
                if output not in document:
                    known = ", ".join(sorted(document)) or "none"
                    typer.echo(f"error: job {job_id} has no output {output!r} (its outputs: "
                               f"{known})", err=True)
                    raise typer.Exit(EXIT_USAGE)
                document = {output: document[output]}
            _print_results(document, as_json)
            return
        written = client.download_job_result(job_id, output, download, progress=True)
        files = {output: written} if isinstance(written, Path) else written
        if as_json:
            _print_json({name: str(path) for name, path in files.items()})
        else:
            for name, path in files.items():  # whole paths, not cut to a table's width
                typer.echo(f"{name}: {path}")


@app.command()
def dismiss(
    job_id: Annotated[str, typer.Argument(help="The job id.")],
    server_url: ServerUrlOption = None,
    as_json: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Dismiss a job: cancel it if it runs, remove it if it is finished."""
    with reporting(debug), open_client(server_url) as client:
        dismissed = client.dismiss_job(job_id)
        if as_json:
            _print_json(dismissed.to_dict())
        else:
            typer.echo(f"job {dismissed.jobID}: {dismissed.status}")


@app.command()
def configure(
    server_url: Annotated[
        str | None, typer.Option("--server-url", help="Server base URL to store.")
    ] = None,
    access_token: Annotated[
        str | None, typer.Option("--access-token", help="Access token to store ('' clears it).")
    ] = None,
    user_name: Annotated[
        str | None, typer.Option("--user-name", help="User name to store ('' clears it).")
    ] = None,
    path: Annotated[
        str | None,
        typer.Option(
            "--path", help="Config file (default: $PROCDECK_CONFIG or ~/.procdeck/config.toml)."
        ),
    ] = None,
    debug: DebugOption = False,
) -> None:
    """Store server URL, access token and user name in the config file (mode 0600).

    Without options, asks for each value (Enter keeps the current one).
    """
    from procdeck.client import ClientConfig

    with reporting(debug):
        current = ClientConfig.from_file(path)
        token = current.access_token.get_secret_value() if current.access_token else None
        if server_url is None and access_token is None and user_name is None:
            server_url = typer.prompt("Server URL", default=current.server_url)
            user_name = typer.prompt(
                "User name", default=current.user_name or "", show_default=bool(current.user_name)
            )
            hint = " (Enter keeps the current one)" if token else ""
            entered = typer.prompt(
                f"Access token{hint}", default="", hide_input=True, show_default=False
            )
            access_token = entered or token
        updated = ClientConfig(
            server_url=server_url if server_url is not None else current.server_url,
            access_token=access_token if access_token is not None else token,
            user_name=user_name if user_name is not None else current.user_name,
        )
        written = updated.write(path)
        typer.echo(f"Saved {written} (mode 0600):")
        typer.echo(updated.to_json())
