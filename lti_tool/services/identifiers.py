"""RPPS (11 digits, the last a Luhn check digit) and ADELI (9 characters) numbers."""
from __future__ import annotations

import re


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalise(number: str | None) -> str:
    return re.sub(r"[\s.-]", "", number or "").upper()


def rpps_valid(number: str) -> bool:
    return bool(re.fullmatch(r"\d{11}", number)) and luhn_valid(number)


def adeli_valid(number: str) -> bool:
    # 9 characters: department (2 digits, or 2A/2B for Corsica), profession code and order number.
    return bool(re.fullmatch(r"(\d{2}|2A|2B)\d{7}", number))
