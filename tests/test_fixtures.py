"""Our copies of shared material still match the originals, when ../shared is beside the project.

The suite reads only the copies (tests/fixtures/, tests/telegram/), so it runs in a bare clone;
this test is the one place that looks outside, and it skips when there is nothing to look at.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fake_telegram import SPEC_FILE
from tests.seed import SEED_FILE

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_SEED = SHARED / "seed" / "000_1287ca5d98ee0a1a.txt"
SHARED_API = SHARED / "telegram" / "api.json"
SHARED_LEGACY = SHARED / "telegram" / "legacy_params.json"


def shared_params(api: dict[str, Any], legacy: dict[str, Any], method: str) -> dict[str, Any]:
    """A method's parameters in the full reference, legacy ones added as not required."""
    params = {
        f["name"]: {"required": f["required"], "types": f["types"]}
        for f in api["methods"][method].get("fields", [])
    }
    for name, types in legacy.get(method, {}).items():
        params.setdefault(name, {"required": False, "types": types})
    return params


@pytest.mark.skipif(
    not (SHARED / "seed").is_dir() or not SHARED_API.is_file(),
    reason=f"no {SHARED}/seed or {SHARED_API}: nothing to compare our copies with",
)
def test_our_seed_and_bot_api_copies_match_the_shared_originals() -> None:
    assert SEED_FILE.read_bytes() == SHARED_SEED.read_bytes(), f"{SEED_FILE} != {SHARED_SEED}"

    ours = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    api = json.loads(SHARED_API.read_text(encoding="utf-8"))
    legacy = {}
    if SHARED_LEGACY.is_file():
        legacy = json.loads(SHARED_LEGACY.read_text(encoding="utf-8"))["methods"]
    assert api["version"] in ours["_about"], f"_about does not name {api['version']}"
    for method, params in ours["methods"].items():
        assert method in api["methods"], f"{method} is not in the shared reference"
        assert params == shared_params(api, legacy, method), f"{method} differs from the reference"
