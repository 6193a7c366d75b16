"""Debian's headless Chromium for the browser tests: where it is and how it is started.

Started with the flags that keep it off the network (this machine has none beyond the package
registries) and out of first-run work; tests skip with this reason when it is not installed.
"""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MISSING = f"{CHROMIUM} is not installed (Debian package `chromium`; `make browser` as root)"
