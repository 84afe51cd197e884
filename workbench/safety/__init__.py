"""Safety filters with inspectable decisions (Gemma 2's SFT/RLHF data filtering): `pii`, `unsafe`, `self_id`,
`duplicate`.

Modules:
  texts        which strings of a record each rule reads, and the path ("messages[1].content") spans refer to
  pii          personal data and secrets: detection with validators, redaction with typed placeholders
  unsafe       a response that complies with a harmful request, or is toxic (`workbench.safety.refusal`, which the task world uses too)
  self_id      a response that claims another assistant's identity, against the recipe's identity
  duplicates   exact duplicates after normalisation and MinHash-LSH near-duplicates (datasketch)
  filtering    the settings, `filter_records` (every decision, overrides honoured), the output files, and
               precision/recall against taskworld's marked contamination
  cli          `workbench filter`
The `filter` recipe stage is `workbench.stages.filter`.

`record_key` is the identity of a record shared with the store (`workbench.store`): decisions and overrides are
keyed by it. This module stays free of heavy imports so the store can use it cheaply.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

FILTER_FIELD = "_filter"


def record_key(record: dict[str, Any]) -> str:
    """First 16 hex digits of the sha256 of the record (without its `_filter` block) as sorted-key JSON."""
    body = {k: v for k, v in record.items() if k != FILTER_FIELD}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16]
