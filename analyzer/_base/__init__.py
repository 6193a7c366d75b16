"""What every stage may use and no stage owns: the package version, files a user names (checked,
written atomically, bounded gunzip), lazy package faces, and the worker-process context.

Takes nothing from the stages; gives ``version``, ``files``, ``lazy`` and ``processes``, each
imported by its full name (``from analyzer._base.files import write_user_file``).
"""
