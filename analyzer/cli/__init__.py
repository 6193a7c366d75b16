"""The ``analyzer`` command line: parse options, call one library function, print, exit code.

Takes ``argv``; gives an exit code (0 done, 1 something failed, 2 usage error) and one line
``Error: ...`` per :class:`~analyzer.errors.AnalyzerError`. :mod:`analyzer.cli.app` holds the
parser and :func:`main`; one module per command group (``imports``, ``athletes``, ``simulate``,
``gait``, ``risk``, ``report``) registers its sub-commands; :mod:`analyzer.cli.common` holds what
they share and :mod:`analyzer.cli.options` the validating types of every option.
Nothing here holds logic a notebook user could not reach through the library.
"""

from analyzer.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
