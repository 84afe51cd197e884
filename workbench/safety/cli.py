"""`workbench filter` (being written)."""


def add_commands(sub) -> None:
    """Register this package's subcommands on the main parser's subparsers."""
