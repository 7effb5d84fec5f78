"""What stands between the commands and the terminal: exit codes, usage errors, the last-resort handler,
and the escaping of everything echoed.

A person never sees a traceback: a usage error (missing file, unknown option, missing argument, bad
choice) is one ``error:`` line and what to do, exit 1 — never 2, which ``plan --detailed-exitcode``
uses for "changes present". Output that cannot be written (a full disk, a closed pipe) and any
unexpected exception are one line too, exit 1; the exception's text is never printed, as it may quote
pupil data. ``ONDE_SACOCHE_DEBUG=1`` shows the traceback instead, for developers.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import re
import sys
import traceback
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import click

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_HELD = 3
EXIT_INTERRUPTED = 130

#: the table printed at the end of ``onde-sacoche --help`` (README's "Exit codes" says the same)
EXIT_CODES_HELP = """\b
Exit codes:
  0    done (plan written, rules valid, applied and verified, …)
  1    a problem to fix, or a usage error (bad option, missing file…): nothing written
  2    plan --detailed-exitcode only: the plan has changes to apply
  3    plan or batch: a plan was held by a guard (written, marked held)
  130  interrupted (Ctrl-C)
  other: not from onde-sacoche (killed by a signal, Python could not start)
Set ONDE_SACOCHE_DEBUG=1 to see a traceback instead of "unexpected error"."""

DEBUG_VARIABLE = "ONDE_SACOCHE_DEBUG"

# C0 controls but tab and newline, DEL, C1 controls; Unicode format characters that move or hide text:
# zero-width (U+200B–U+200F, U+2060–U+2064, U+FEFF), bidi embeddings and overrides (U+202A–U+202E),
# isolates (U+2066–U+2069), line and paragraph separators (U+2028, U+2029), soft hyphen, ALM (U+061C)
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
    "\ufff9-\ufffb]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: Any) -> str:
    """``text`` with every control or format character shown as ``\\xNN`` / ``\\uNNNN``, so that a
    value read from a file (a name, a plan.json field) cannot move the cursor, recolour, hide or reorder
    what the terminal shows. Tab and newline are kept."""
    return _UNSAFE.sub(_escape, str(text))


def echo(message: Any = "", *, err: bool = False, nl: bool = True) -> None:
    """``click.echo`` of :func:`terminal_safe` text."""
    click.echo(terminal_safe(message), err=err, nl=nl)


_LINE_BREAKS = re.compile("[\t\n]")


def one_line(value: Any) -> str:
    """A value from a file shown inside one line: :func:`terminal_safe`, and tab and newline escaped too
    (a name holding a newline must not print a line that looks like another item)."""
    return _LINE_BREAKS.sub(_escape, terminal_safe("" if value is None else value))


def json_safe(text: str) -> str:
    """JSON text with its control and format characters written as ``\\uNNNN`` escapes: the same data
    for a program, nothing a terminal would act on (such characters can only be inside strings)."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_text(value: Any) -> str:
    """``value`` as indented JSON (UTF-8 kept), made :func:`json_safe`."""
    return json_safe(json.dumps(value, ensure_ascii=False, indent=2))


def _debug() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "").strip() not in ("", "0")


def _usage_error(exc: click.UsageError) -> int:
    command = exc.ctx.command_path if exc.ctx is not None else "onde-sacoche"
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        click.echo(exc.format_message(), err=True)
        return EXIT_ERROR
    echo(f"error: {command}: {exc.format_message()}", err=True)
    echo(f"  what to do: see `{command} --help`", err=True)
    return EXIT_ERROR


def _silence_stdout() -> None:
    """After a failed write to stdout, send what is still buffered to /dev/null (no second error when
    Python flushes stdout on exit)."""
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except Exception:  # not a real file (tests): nothing to do
        pass


def _os_error(exc: OSError) -> int:
    if exc.errno == errno.EPIPE:  # the reader went away (`| head`): not an error of ours to report
        _silence_stdout()
        return EXIT_ERROR
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG):
        _silence_stdout()
        reason = os.strerror(exc.errno) if exc.errno is not None else type(exc).__name__
        click.echo(
            f"error: the output could not be written ({reason})\n"
            "  what to do: free some space or write to another place, then run the command again",
            err=True,
        )
        return EXIT_ERROR
    if exc.filename is not None and exc.strerror:  # a path the user gave (or under it): say which
        echo(
            f"error: {exc.filename}: {exc.strerror}\n"
            "  what to do: check that this path exists, is the right kind (file or directory) and its "
            "permissions",
            err=True,
        )
        return EXIT_ERROR
    return _unexpected(exc)


def _unexpected(exc: BaseException) -> int:
    if _debug():
        traceback.print_exception(exc, file=sys.stderr)
    else:
        click.echo(
            f"error: unexpected error ({type(exc).__name__}); its text may quote pupil data: not shown\n"
            f"  what to do: run again with {DEBUG_VARIABLE}=1 to see where it happened, and report it",
            err=True,
        )
    return EXIT_ERROR


class IsoDay(click.DateTime):
    """``click.DateTime(formats=["%Y-%m-%d"])`` (same values, messages and help), reading a value of ASCII
    digits shaped ``yyyy-mm-dd`` directly: ``strptime`` gives the same date, or the same refusal, for it,
    and importing and setting it up is a few milliseconds of a small ``plan --today``."""

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d"])

    def _try_to_convert_date(self, value: Any, format: str) -> datetime | None:
        shaped = isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-"
        if format == "%Y-%m-%d" and shaped:
            digits = value[:4] + value[5:7] + value[8:]
            if digits.isascii() and digits.isdigit():
                try:
                    return datetime(int(value[:4]), int(value[5:7]), int(value[8:]))
                except ValueError:
                    return None
        return super()._try_to_convert_date(value, format)


#: set by :meth:`GuardedGroup.main`: this process is a run from the command line (not a test, nor a
#: program calling ``main()``), which ends when the command does
_COMMAND_LINE_RUN: list[bool] = [False]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a command imports the stages it runs, and, in a run from
    the command line, what exists then frozen (``gc.freeze``): the modules' objects (tens of thousands)
    live until the process ends, and every later collection would walk them again for nothing (about
    5 ms of a small ``plan``). A test or a program calling ``main()`` keeps a collector that walks
    everything, as before. The collector resumes, if it was on, at the end of the block."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if _COMMAND_LINE_RUN[0]:
            gc.freeze()
        if was_enabled:
            gc.enable()


class GuardedGroup(click.Group):
    """A click group whose ``main`` maps usage errors, output errors and any unexpected exception to one
    message and exit 1 (see the module's documentation)."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        _COMMAND_LINE_RUN[0] = args is None
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            code = _usage_error(exc)
        except click.ClickException as exc:
            echo(f"error: {exc.format_message()}", err=True)
            code = EXIT_ERROR
        except click.Abort as exc:
            interrupted = isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt)
            click.echo("interrupted" if interrupted else "aborted: nothing was done", err=True)
            code = EXIT_INTERRUPTED if interrupted else EXIT_ERROR
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            code = EXIT_INTERRUPTED
        except OSError as exc:
            code = _os_error(exc)
        except Exception as exc:  # the last resort: never a traceback for a user
            code = _unexpected(exc)
        code = code if isinstance(code, int) else EXIT_OK
        if args is None and not _debug():  # a run from the command line, not a test calling main()
            _exit_now(code)
        sys.exit(code)


def _exit_now(code: int) -> None:
    """End the process at once, stdout and stderr flushed: the interpreter's teardown (freeing every
    module's objects one by one) is about a sixth of a small school's ``plan``. Every file the commands
    write is closed by then; when a flush fails, return and let the usual exit deal with it."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)
