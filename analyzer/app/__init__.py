"""The local app (``analyzer serve``): drop an export, see the report, keep the diary.

A Starlette app on uvicorn over the same store and the same analysis as the CLI (DESIGN.md §9):

- :mod:`~analyzer.app.server`: binding, the first line with the token URL, Ctrl-C;
- :mod:`~analyzer.app.auth`: token → cookie, Host check, Origin and CSRF on every write;
- :mod:`~analyzer.app.state`: the store lock, its version and the report cache;
- :mod:`~analyzer.app.pages`, :mod:`~analyzer.app.api`, :mod:`~analyzer.app.actions`: the
  HTML pages, their JSON twins and the writes;
- :mod:`~analyzer.app.jobs` and :mod:`~analyzer.app.import_worker`: uploads and the import
  process with its progress.

Nothing here is imported by ``analyzer --help``: the CLI imports :mod:`analyzer.app.server`
inside ``serve``.
"""
