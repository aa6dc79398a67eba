"""The named demo persons, one for every role in PRODUCT.md."""

from typing import Any


def personas_with_register_data() -> list[dict[str, Any]]:
    return []
