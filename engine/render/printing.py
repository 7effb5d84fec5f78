"""Printing a document of the plan directory to PDF with headless Chromium (no JavaScript in our pages,
no network, a fresh profile each time)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from engine.errors import OndeError

__all__ = ["CHROMIUM_FLAGS", "CHROMIUM_NAMES", "find_chromium", "print_pdf"]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-pdf-header-footer",
)


def find_chromium() -> str | None:
    """``chromium`` (or a Chrome) on PATH, else /usr/bin/chromium, else None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    fallback = Path("/usr/bin/chromium")
    return str(fallback) if fallback.is_file() and os.access(fallback, os.X_OK) else None


def print_pdf(html: Path, pdf: Path, *, chromium: str | None = None, timeout: float = 120) -> Path:
    """Print ``html`` to ``pdf`` (A4, no header/footer) with headless Chromium in a fresh profile."""
    import subprocess  # here: every plan imports this module (engine.render.report), few print

    binary = chromium or find_chromium()
    if binary is None:
        raise OndeError(
            "Chromium is needed to print a PDF and was not found",
            hint="install it (Debian: apt-get install chromium) or print the HTML from a browser",
        )
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onde-chromium-") as profile:
        env = os.environ | {"XDG_CONFIG_HOME": profile, "XDG_CACHE_HOME": profile}
        command = [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf}",
            html.as_uri(),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired:
            raise OndeError(f"Chromium did not finish printing within {timeout:.0f} s", file=html) from None
        except OSError as exc:
            raise OndeError(f"Chromium could not be started: {exc}", file=html) from None
    if result.returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        raise OndeError(f"Chromium failed to print (exit {result.returncode}): {tail}", file=html)
    return pdf
