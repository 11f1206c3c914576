"""Builds the Lambda asset without Docker.

The run-time requirements are installed with pip for the Lambda's platform (arm64,
manylinux wheels, CPython 3.13), once per requirements hash, into `build/`; the
function's code is copied fresh beside them on every synth. boto3 and botocore are
left out: the Lambda runtime ships them, and they are most of the size.

Only what the handler runs is copied: the command line (`functions/monitor/cli/`,
with the cost model and the renderers), `python -m`'s entry and the local simulator
(`functions/simulator/`) stay out. tests/unit/test_architecture.py walks the
handler's imports to prove none of them is needed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
PLATFORM = [
    "--platform",
    "manylinux2014_aarch64",
    "--implementation",
    "cp",
    "--python-version",
    "3.13",
    "--only-binary=:all:",
]
# Paths under functions/ that the Lambda never runs.
NOT_SHIPPED = ("simulator", "monitor/cli", "monitor/__main__.py")
RUNTIME_PROVIDED = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "urllib3",
    "python-dateutil",
    "six",
)


def _requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    wanted = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [r for r in wanted if not r.lower().startswith(("boto3", "botocore"))]


def _dependencies() -> Path:
    reqs = _requirements()
    key = hashlib.sha256("\n".join(reqs + PLATFORM).encode()).hexdigest()[:16]
    target = BUILD / f"lambda-deps-{key}"
    if target.is_dir():
        return target
    staging = BUILD / f"lambda-deps-{key}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(staging),
            *PLATFORM,
            *reqs,
        ],
        check=True,
    )
    for name in list(staging.iterdir()):
        lowered = name.name.lower().replace("_", "-")
        if lowered.startswith(RUNTIME_PROVIDED) or name.name == "bin":
            shutil.rmtree(name) if name.is_dir() else name.unlink()
    staging.rename(target)
    return target


def _not_shipped(folder: str, names: list[str]) -> set[str]:
    """copytree's ignore: caches, and the command-line and simulator code."""
    here = Path(folder).relative_to(ROOT / "functions")
    skip = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
    return skip | {n for n in names if (here / n).as_posix() in NOT_SHIPPED}


def build_asset() -> Path:
    """The folder CDK zips as the function's code: dependencies plus `functions/`."""
    asset = BUILD / "lambda-asset"
    shutil.rmtree(asset, ignore_errors=True)
    shutil.copytree(_dependencies(), asset)
    shutil.copytree(
        ROOT / "functions",
        asset / "functions",
        ignore=_not_shipped,
    )
    return asset
