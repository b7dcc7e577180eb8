"""What the command-line tests share."""

from sklearn_rec.cli import main


def run(argv, capsys):
    """Run the command line; return its exit code, stdout and stderr."""
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err
