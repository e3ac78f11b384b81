"""Template syntax that static-site generators leave in their Markdown sources, taken out
before the Markdown is read.

Jekyll and other Liquid sites write tags (``{% include … %}``, ``{% assign … %}``) and output
(``{{ site.url }}``); Hugo writes shortcodes (``{{< figure … >}}``, ``{{% note %}}``). Left in,
they show as text, and a tag line right above reference-link definitions makes CommonMark read
the definitions as the paragraph's text, so the items lose their links. A line that holds
nothing but template syntax becomes blank (line numbers kept); ``comment`` blocks go whole;
``highlight`` blocks become code fences; code (fenced, inline, ``raw`` blocks) is left as is.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
#: An inline code span (kept), or one piece of template syntax (removed).
_INLINE = re.compile(
    r"(?P<code>(`+).*?(?<!`)\2(?!`))"
    r"|\{%-?.*?-?%\}"  # a Liquid tag
    r"|\{\{[<%].*?[>%]\}\}"  # a Hugo shortcode
    r"|\{\{-?\s*[^\s{}][^{}\n]*?-?\}\}"  # Liquid or Handlebars output
)
_ADDRESS_TAG = re.compile(r"\{%-?\s*(?:post_url|link)\s+(\S+?)\s*-?%\}$")
_TAG_NAME = re.compile(r"^\s*\{(?:%-?|\{[<%])\s*(/?\w+)\s*(\S*)")


def _tag(line: str) -> tuple[str, str] | None:
    """The name and first argument of the tag a line opens with: ("highlight", "rust")."""
    match = _TAG_NAME.match(line)
    return (match.group(1).lower(), match.group(2)) if match else None


def _outside_code(match: re.Match[str]) -> str:
    """Code as it is; a tag that writes an address (``{% post_url 2020-01-05-x %}``,
    ``{% link a.md %}``) as that address's path; other template syntax as nothing."""
    if match.group("code"):
        return match.group()
    address = _ADDRESS_TAG.match(match.group())
    return address.group(1) if address else ""


def strip_templates(text: str) -> str:
    """``text`` without its template syntax (see the module's note)."""
    if "{%" not in text and "{{" not in text:  # most files: nothing to do
        return text
    lines = text.split("\n")
    fence: str | None = None  # the open code fence ("```", "~~~~"), or "highlight"
    state = ""  # "comment" or "raw" inside such a block
    for number, line in enumerate(lines):
        tag = _tag(line)
        name = tag[0] if tag else ""
        if fence == "highlight":
            if name in ("endhighlight", "/highlight"):
                fence, lines[number] = None, "```"
        elif fence is not None:
            fence = None if line.strip().startswith(fence) else fence
        elif state:
            state = "" if name == f"end{state}" else state
            lines[number] = line if state == "raw" else ""
        elif opened := _FENCE.match(line):
            fence = opened.group(1)
        elif name in ("comment", "raw"):
            state, lines[number] = name, ""
        elif tag and name == "highlight":
            fence, lines[number] = "highlight", "```" + re.sub(r"[^\w+-]", "", tag[1])
        elif "{" in line:
            stripped = _INLINE.sub(_outside_code, line)
            lines[number] = stripped if stripped.strip() or not line.strip() else ""
    return "\n".join(lines)
