"""The `pii` rule: finding personal data and secrets in a string, and redacting them with typed placeholders.

Kinds (placeholder), and what makes a match:
  secret       ([SECRET])       a known key prefix (sk-, sk_live_, ghp_, github_pat_, xoxb-, AKIA, AIza, glpat-, hf_,
                                npm_), a JWT, a PEM private key, `password = ...`-style assignments, or a long token
                                (>= 24 chars) mixing letters and digits with high entropy (>= 4 bits/char; pure hex
                                such as git hashes and UUIDs is left alone)
  email        ([EMAIL])        local@domain.tld
  iban         ([IBAN])         country code, check digits, 11-30 letters/digits, valid mod-97 checksum (ISO 13616)
  card         ([CARD])         13-19 digits, contiguous or in groups, passing the Luhn check
  national_id  ([NATIONAL_ID])  US SSN 123-45-6789 (valid area/group/serial), or 9 digits after "SSN"/"social
                                security"; UK National Insurance number AB 12 34 56 C
  ip           ([IP])           IPv4 and IPv6 addresses (validated by `ipaddress`), except loopback, unspecified and
                                netmasks, and except version and section numbers (after "version", "v",
                                "release", "firmware to", "section", ...)
  phone        ([PHONE])        +CC international numbers (8-15 digits), North American (555) 123-4567 /
                                555-123-4567, national forms with a trunk 0 (020 7946 0958), or 10-11 bare digits
                                after "call", "phone", "tel", "mobile", ...
  address      ([ADDRESS])      a house number, capitalised street name words and a street type (Street, Ave,
                                Road, ...), with an optional unit, town, state and ZIP / UK postcode

Detectors run in the order above and a later one never matches inside an earlier one's span, so a card number is
not also a phone number and a key is not also a long token. Everything is a regular expression plus a validator
(checksum, range, context): fast (the bench needs >= 2,000 records/s) and explainable span by span. No library on
PyPI covers these kinds together without a model download (presidio needs spaCy models), hence our own.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from typing import Callable, Iterator

KINDS = ("secret", "email", "iban", "card", "national_id", "ip", "phone", "address")
PLACEHOLDERS = {kind: f"[{kind.upper()}]" for kind in KINDS}

Match = tuple[int, int, str]  # start, end, kind

# --- secrets ---------------------------------------------------------------------------------------------------

_KEY_PREFIXES = re.compile(
    r"(?<![\w-])(?:sk-(?:proj-|live-|test-)?[A-Za-z0-9_-]{20,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}"
    r"|npm_[A-Za-z0-9]{36}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})(?![\w-])")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----.*?(?:-----END (?:[A-Z]+ )*PRIVATE KEY-----|\Z)",
                          re.DOTALL)
_ASSIGNMENT = re.compile(
    r"(?i)(?<![a-z0-9])(?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|client[_-]?secret)"
    r"\b[\"']?\s*[:=]\s*[\"']?(?P<value>[^\s\"',;]{6,})")
_PLACEHOLDER_VALUE = re.compile(r"[<>{}$*()\[\]]|\.\.\.|xxx|your|example|changeme|redacted", re.IGNORECASE)
_TOKEN = re.compile(r"(?<![\w/+=-])[A-Za-z0-9+/_=-]{24,}(?![\w/+=-])")
_HEX = re.compile(r"[0-9a-fA-F-]+")
MIN_TOKEN_ENTROPY = 4.0  # bits per character; English words and hex digests stay below, random base62/64 above


def _entropy(text: str) -> float:
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def _is_random_token(token: str) -> bool:
    if _HEX.fullmatch(token):
        return False
    classes = sum(any(f(c) for c in token) for f in (str.islower, str.isupper, str.isdigit))
    return classes >= 2 and any(c.isdigit() for c in token) and _entropy(token) >= MIN_TOKEN_ENTROPY


def _secrets(text: str) -> Iterator[Match]:
    for m in _PRIVATE_KEY.finditer(text):
        yield m.start(), m.end(), "secret"
    for m in _KEY_PREFIXES.finditer(text):
        yield m.start(), m.end(), "secret"
    for m in _ASSIGNMENT.finditer(text):
        if not _PLACEHOLDER_VALUE.search(m["value"]):
            yield m.start("value"), m.end("value"), "secret"
    for m in _TOKEN.finditer(text):
        if _is_random_token(m[0]):
            yield m.start(), m.end(), "secret"


# --- e-mail, IBAN, cards, national IDs ------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d.,-])\d(?:[ -]?\d){12,18}(?![\d-]|[.,]\d)")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|social security(?: number| no\.?)?)\s*(?:is|:|#)?\s*"
                          r"(?P<value>\d{3} ?\d{2} ?\d{4})\b")
_NINO = re.compile(r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")


def _emails(text: str) -> Iterator[Match]:
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), "email"


def iban_valid(candidate: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to 10..35, the number mod 97 must be 1."""
    s = candidate.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    digits = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(digits) % 97 == 1


def _ibans(text: str) -> Iterator[Match]:
    for m in _IBAN.finditer(text):
        value = m[0].rstrip()
        if iban_valid(value):
            yield m.start(), m.start() + len(value), "iban"


def luhn_valid(digits: str) -> bool:
    """The Luhn check: double every second digit from the right, sum the digits, the total must end in 0."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _cards(text: str) -> Iterator[Match]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m[0])
        if 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits):
            yield m.start(), m.end(), "card"


def _national_ids(text: str) -> Iterator[Match]:
    for m in _SSN.finditer(text):
        yield m.start(), m.end(), "national_id"
    for m in _SSN_CONTEXT.finditer(text):
        yield m.start("value"), m.end("value"), "national_id"
    for m in _NINO.finditer(text):
        yield m.start(), m.end(), "national_id"


# --- IP addresses ----------------------------------------------------------------------------------------------

_IPV4 = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\w)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|:)?(?![\w:])")
_VERSION_BEFORE = re.compile(  # a version or section number, perhaps a word or two before it ("firmware to")
    r"(?i)(?:(?:\bversions?|\bver\.?|\breleases?|\bbuild|\bupdate|\bupgrade|\bfirmware|\bpatch|\btag|\bpython|\bnode"
    r"|\bkernel|\bsection|\bchapter|\bclause|\bparagraph|\bfigure|\btable|\bstep|\brule)(?:\s+\w+){0,2}\s*[:=]?"
    r"|\bv|==|>=|<=|~=|@)\s*$")
_NETMASK_OCTETS = {"0", "128", "192", "224", "240", "248", "252", "254", "255"}


def _ips(text: str) -> Iterator[Match]:
    for m in _IPV4.finditer(text):
        try:
            address = ipaddress.IPv4Address(m[0])
        except ValueError:
            continue
        octets = m[0].split(".")
        if (address.is_loopback or address.is_unspecified or (octets[0] == "255" and set(octets) <= _NETMASK_OCTETS)
                or _VERSION_BEFORE.search(text, max(0, m.start() - 40), m.start())):
            continue
        yield m.start(), m.end(), "ip"
    for m in _IPV6.finditer(text):
        value = m[0]
        if value.count(":") < 2 or not any(c.isalnum() for c in value):
            continue
        try:
            address = ipaddress.IPv6Address(value)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_unspecified):
            yield m.start(), m.end(), "ip"


# --- phone numbers ---------------------------------------------------------------------------------------------

_PHONE = re.compile(r"(?<![\w+.,/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,12}(?:[ .-]\d{1,8}){0,5}"
                    r"(?![\w-]|[.,/]\d)")
_PHONE_CONTEXT = re.compile(r"(?i)\b(?:call|calls|phone|tel|telephone|mobile|cell|whatsapp|text me|fax|number|dial)\b"
                            r"[^.\n]{0,24}$")
_NANP = re.compile(r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}")


def _phones(text: str) -> Iterator[Match]:
    for m in _PHONE.finditer(text):
        value = m[0]
        digits = sum(c.isdigit() for c in value)
        if value.startswith("+"):
            ok = 8 <= digits <= 15
        elif _NANP.fullmatch(value):
            ok = True
        elif value.lstrip("(").startswith("0"):
            ok = 9 <= digits <= 12 and value.count(".") == 0
        else:
            ok = 10 <= digits <= 11 and _PHONE_CONTEXT.search(text, max(0, m.start() - 40), m.start()) is not None
        if ok:
            yield m.start(), m.end(), "phone"


# --- street addresses ------------------------------------------------------------------------------------------

_STREET_TYPES = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|"
                 r"Close|Crescent|Square|Sq|Highway|Hwy|Parkway|Pkwy|Circle|Cir|Alley|Row|Gardens|Hill|Mews")
_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Za-z]?,? (?:[A-Z][a-z]+\.? ){1,4}(?:" + _STREET_TYPES + r")\b\.?"
    r"(?: (?:NW|NE|SW|SE|N|S|E|W)\b)?"
    r"(?:,? (?:Apt|Apartment|Suite|Unit|Flat|#) ?\w+)?"
    r"(?:, [A-Z][a-z]+(?: [A-Z][a-z]+)?)?"
    r"(?:,? (?:[A-Z]{2} \d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}))?")
_PO_BOX = re.compile(r"\bP\.? ?O\.? Box \d{1,6}\b", re.IGNORECASE)


def _addresses(text: str) -> Iterator[Match]:
    for pattern in (_ADDRESS, _PO_BOX):
        for m in pattern.finditer(text):
            yield m.start(), m.end(), "address"


_DETECTORS: dict[str, Callable[[str], Iterator[Match]]] = {
    "secret": _secrets, "email": _emails, "iban": _ibans, "card": _cards, "national_id": _national_ids,
    "ip": _ips, "phone": _phones, "address": _addresses,
}
_DIGIT = re.compile(r"\d")
_NEEDS_DIGITS = {"iban", "card", "national_id", "ip", "phone", "address"}


def find_pii(text: str, kinds: tuple[str, ...] | list[str] = KINDS) -> list[Match]:
    """Non-overlapping (start, end, kind) matches in `text`, sorted by start; earlier kinds in KINDS win overlaps."""
    taken: list[Match] = []
    has_digits = _DIGIT.search(text) is not None
    for kind in KINDS:
        if kind not in kinds or (kind in _NEEDS_DIGITS and not has_digits) or (kind == "email" and "@" not in text):
            continue
        for start, end, label in _DETECTORS[kind](text):
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, label))
    return sorted(taken)


def redact(text: str, matches: list[Match]) -> str:
    """`text` with each match replaced by its kind's placeholder, e.g. `[EMAIL]`."""
    out, last = [], 0
    for start, end, kind in sorted(matches):
        out += [text[last:start], PLACEHOLDERS[kind]]
        last = end
    return "".join(out) + text[last:]
