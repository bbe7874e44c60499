"""The o2c command line: one entry point that later features extend with sub-commands."""

import typer

app = typer.Typer(help="o2c — Order-to-Cash operations platform", no_args_is_help=True)


@app.callback()
def main() -> None:
    """o2c command line."""
