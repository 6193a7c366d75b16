"""CLI command groups. Each module has ``register(subparsers)``; handlers return an exit code."""
