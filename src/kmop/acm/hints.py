"""The ``login_hint`` of "login for one organisation" (IAM.md): base64 of
``{"cap_hint":"EA","code_hint":"0428315871"}``."""

from __future__ import annotations

import base64
import binascii
import json
import re

from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import validate_enterprise_number

_OVO = re.compile(r"^OVO[0-9]{6}$")
_MAX_LENGTH = 512


def parse_login_hint(value: str) -> dict[str, str] | None:
    """``{"cap": "EA"|"GID", "code": ...}`` (enterprise number compacted), or None when it is not a valid
    hint."""
    if not value or len(value) > _MAX_LENGTH:
        return None
    padded = value.strip() + "=" * (-len(value.strip()) % 4)
    try:
        raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    cap, code = data.get("cap_hint"), data.get("code_hint")
    if not isinstance(cap, str) or not isinstance(code, str):
        return None
    if cap == "EA":
        try:
            return {"cap": cap, "code": validate_enterprise_number(code)}
        except NumberError:
            return None
    if cap == "GID" and _OVO.match(code.strip().upper()):
        return {"cap": cap, "code": code.strip().upper()}
    return None


def make_login_hint(cap: str, code: str) -> str:
    return base64.b64encode(json.dumps({"cap_hint": cap, "code_hint": code}).encode()).decode()
