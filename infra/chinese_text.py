"""Traditional→simplified character map 繁简字表, built from OpenCC's shipped dictionaries.

The domain normaliser takes a plain `dict[str, str]` so that `domain/` needs no OpenCC;
this module reads `TSCharacters.txt` (and the Taiwan/Hong Kong variant tables, composed
through it) from the installed `opencc-python-reimplemented` package without importing it.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

__all__ = ["opencc_dictionary_dir", "traditional_to_simplified_map", "parse_dictionary"]


def opencc_dictionary_dir() -> Path:
    """The `dictionary` folder of the installed opencc package."""
    spec = importlib.util.find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("opencc-python-reimplemented is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "dictionary"
    if not (folder / "TSCharacters.txt").is_file():
        raise RuntimeError(f"OpenCC dictionaries not found in {folder}")
    return folder


def parse_dictionary(text: str) -> dict[str, str]:
    """Single-character entries of an OpenCC table; the first candidate wins."""
    mapping: dict[str, str] = {}
    for line in text.splitlines():
        source, _, targets = line.partition("\t")
        candidates = targets.split()
        if len(source) == 1 and candidates and len(candidates[0]) == 1:
            mapping.setdefault(source, candidates[0])
    return mapping


@functools.lru_cache(maxsize=1)
def _build() -> dict[str, str]:
    folder = opencc_dictionary_dir()
    mapping = parse_dictionary((folder / "TSCharacters.txt").read_text(encoding="utf-8"))
    # A regional variant maps to standard traditional first, then to simplified.
    for name in ("TWVariantsRev.txt", "HKVariantsRev.txt"):
        path = folder / name
        if not path.is_file():
            continue
        for variant, standard in parse_dictionary(path.read_text(encoding="utf-8")).items():
            simplified = mapping.get(standard, standard)
            if variant not in mapping and simplified != variant:
                mapping[variant] = simplified
    return {source: target for source, target in mapping.items() if source != target}


def traditional_to_simplified_map() -> dict[str, str]:
    """A fresh copy of the full character map, for `domain.repeats.TextNormaliser`."""
    return dict(_build())
