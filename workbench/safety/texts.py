"""Which strings of a record each filter rule reads, and the path that names each one.

A record is one row of any dataset `workbench data validate` accepts. Its texts are the strings in its dataset
columns (`text`, `messages`, `prompt`, `completion`, `chosen`, `rejected`); other columns (`meta`, `id`, ...) are
never read. Each text carries its path in the record, which is what a span's fourth element names:
  "text", "prompt", "completion", "chosen", "rejected"            standard (string) columns
  "messages[1].content", "prompt[0].content", "chosen[2].content"  conversational turns (0-based)
Span offsets are Python string indices into exactly that string.

A text is a *response* (checked by `unsafe` and `self_id`) when it is a model turn the data teaches: an assistant
turn of `messages`, `completion` or `chosen` (standard or conversational). `rejected` and the completion of an
unpaired-preference row labelled false are bad examples on purpose, so they are not responses here; a standard
`text` row has no roles, so it has none either. Every text is checked for `pii`. Each response carries its
request: the last user text before it (in the prompt column when the row has one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONVERSATION_COLUMNS = ("messages", "prompt", "completion", "chosen", "rejected")
RESPONSE_COLUMNS = ("messages", "completion", "chosen")


@dataclass(frozen=True)
class Text:
    path: str  # where the string sits in the record, e.g. "messages[1].content"
    role: str  # "user" | "assistant" | "system" | "text" (a standard `text` row)
    text: str
    is_response: bool
    request: str  # for a response: the last user text before it; otherwise ""


def record_texts(record: dict[str, Any]) -> list[Text]:
    """Every string the filters read, in column order (see the module docstring)."""
    out: list[Text] = []
    if isinstance(record.get("text"), str):
        out.append(Text("text", "text", record["text"], False, ""))
    prompt_request = ""
    for column in CONVERSATION_COLUMNS:
        value = record.get(column)
        teaches = column in RESPONSE_COLUMNS and not (column == "completion" and record.get("label") is False)
        if isinstance(value, str):
            role = "user" if column == "prompt" else "assistant"
            out.append(Text(column, role, value, teaches and role == "assistant", prompt_request))
            if column == "prompt":
                prompt_request = value
        elif isinstance(value, list):
            request = prompt_request
            for i, message in enumerate(value):
                role, content = message.get("role", ""), message.get("content", "")
                out.append(Text(f"{column}[{i}].content", role, content, teaches and role == "assistant", request))
                if role == "user":
                    request = content
            if column == "prompt":
                prompt_request = request
    return out


def record_text(record: dict[str, Any]) -> str:
    """The whole record as one string (roles included), for duplicate detection."""
    return "\n".join(f"{t.role}: {t.text}" for t in record_texts(record))
