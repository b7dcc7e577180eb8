"""Check the built distributions: every file of the package is in the wheel and the sdist.

Usage: python .ci/check_dist.py DIST_DIR. The package's files are those git
tracks under sklearn_rec/ (py.typed included); a file missing from the wheel
would be missing for every user who installs it.
"""

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path


def main(dist):
    tracked = set(
        subprocess.run(
            ["git", "ls-files", "sklearn_rec"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    if "sklearn_rec/py.typed" not in tracked:
        sys.exit("check_dist: sklearn_rec/py.typed is not tracked: type checkers ignore the hints.")
    (wheel,) = Path(dist).glob("*.whl")
    (sdist,) = Path(dist).glob("*.tar.gz")
    in_wheel = {
        name for name in zipfile.ZipFile(wheel).namelist() if name.startswith("sklearn_rec/")
    }
    with tarfile.open(sdist) as archive:
        root = archive.getnames()[0].split("/")[0]
        in_sdist = {
            name.removeprefix(f"{root}/")
            for name in archive.getnames()
            if name.startswith(f"{root}/sklearn_rec/") and archive.getmember(name).isfile()
        }
    failed = False
    for label, contents in (("wheel", in_wheel), ("sdist", in_sdist)):
        missing = sorted(tracked - contents)
        extra = sorted(name for name in contents - tracked if "__pycache__" not in name)
        if missing or extra:
            failed = True
            print(f"check_dist: {label} misses {missing} and has untracked {extra}")
    if failed:
        sys.exit(1)
    print(f"check_dist: {wheel.name} and {sdist.name} hold all {len(tracked)} package files")


if __name__ == "__main__":
    main(sys.argv[1])
