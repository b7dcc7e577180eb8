"""Files written whole or not at all."""

import os
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replace_atomically(path):
    """Yield a temporary path beside ``path``; once the block succeeds, rename it to ``path``.

    What the block writes to the temporary path replaces ``path`` in one
    rename, so an interrupt (Ctrl-C), a full disk or a crash while writing
    leaves the old file as it was, never half a file. The temporary file is
    in the same folder (a rename does not cross file systems), hidden, and
    deleted if the block fails. An existing file's permissions are kept.

    Parameters
    ----------
    path : str or path-like
        The file to write.

    Yields
    ------
    temporary : pathlib.Path
        The file to write to; it exists, empty. Writers that pick a format
        from the file name (matplotlib's ``savefig``) must be told it.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # Mode "x" creates the file with the permissions the umask gives new files.
    with open(temporary, "xb"):
        pass
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())  # on disk before it takes the name
        if path.exists():
            shutil.copymode(path, temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
