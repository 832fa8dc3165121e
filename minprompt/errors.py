"""User errors: one line, `error: <what> (<file>): <what to do>`, exit status 2, no traceback.

Library code raises UserError; the scripts' `main` functions are wrapped in `run_main`, which prints
the line and exits. Anything else is a bug and keeps its traceback.
"""
import sys


class UserError(Exception):
    def __init__(self, what, path=None, todo=None):
        self.what, self.path, self.todo = what, path, todo
        where = f" ({path})" if path is not None else ""
        super().__init__(f"{what}{where}" + (f": {todo}" if todo else ""))


class Interrupted(UserError):
    """Ctrl-C during training: the line says what was kept (a sweep tells it from other errors)."""


def run_main(main):
    """Call main(); turn a UserError into the one-line message and exit status 2."""
    try:
        return main()
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


def check_positive(args, *names):
    """Refuse a count or rate that is not above zero (--steps 0, --batch-size -1, --lr nan) before
    anything is read or written. None (a flag left to its default, chosen later) passes."""
    for name in names:
        value = getattr(args, name)
        if value is None:
            continue
        if not 0 < value < float("inf"):
            flag = "--" + name.replace("_", "-")
            raise UserError(f"{flag} must be a positive number, got {value}", None, f"pass a {flag} above 0")
