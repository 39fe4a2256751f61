"""Secret lines inside ordinary files: provider tokens and private key blocks, withheld line by line.

The rules follow the token formats that gitleaks and detect-secrets recognise (fixed prefixes,
fixed lengths), not entropy guesses, so code is rarely withheld by mistake. Each rule names
literal keywords; its regex only runs on a file containing one, which keeps screening cheap.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MARKER = b"[secret withheld: %s]"
"""What a withheld line becomes; the line count (and so every line number) stays as it was."""


class Rule(NamedTuple):
    """One kind of secret: a name for the manifest, literal keywords that gate it, its pattern."""

    name: str
    keywords: tuple[bytes, ...]
    pattern: re.Pattern[bytes]


class Span(NamedTuple):
    """Lines ``start``..``end`` (1-based, inclusive) of one file hold a secret of kind ``rule``."""

    start: int
    end: int
    rule: str


def _rule(name: str, keywords: str, pattern: str) -> Rule:
    return Rule(name, tuple(word.encode() for word in keywords.split()), re.compile(pattern.encode()))


_END = r"(?![A-Za-z0-9_-])"
RULES: tuple[Rule, ...] = (
    # A key block is withheld whole, armour lines included; an unterminated one up to the end of the file.
    _rule(
        "private-key",
        "PRIVATE",
        r"-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[ A-Z0-9_-]{0,40}-----|[\s\S]*)",
    ),
    _rule("aws-access-key", "AKIA ASIA ABIA ACCA A3T", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"),
    _rule(
        "aws-secret-key",
        "aws_secret AWS_SECRET SecretAccessKey secret_access_key",
        r"(?i)(?:aws_?secret_?access_?key|secretaccesskey)[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9/+]{40}\b",
    ),
    _rule("github-token", "ghp_ gho_ ghu_ ghs_ ghr_", r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    _rule("github-fine-grained-token", "github_pat_", r"\bgithub_pat_[A-Za-z0-9_]{82}\b"),
    _rule("gitlab-token", "glpat- gldt- glrt- glptt- glcbt-", r"\bgl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_.-]{20,300}"),
    _rule(
        "anthropic-or-openai-key",
        "sk-",
        r"\bsk-(?:ant-[a-z]+\d*-|proj-|svcacct-|admin-)?(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{32,}" + _END,
    ),
    _rule("slack-token", "xox", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    _rule(
        "slack-webhook", "hooks.slack.com", r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}"
    ),
    _rule("stripe-key", "k_live_ k_test_ k_prod_", r"\b[rs]k_(?:live|test|prod)_[A-Za-z0-9]{10,99}\b"),
    _rule("google-api-key", "AIza", r"\bAIza[A-Za-z0-9_-]{35}" + _END),
    _rule("npm-token", "npm_ _authToken", r"\bnpm_[A-Za-z0-9]{36}\b|_authToken\s*=\s*\S{8,}"),
    _rule("pypi-token", "pypi-AgE", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    _rule("huggingface-token", "hf_", r"\bhf_[A-Za-z]{34}\b"),
    _rule("sendgrid-key", "SG.", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    _rule("digitalocean-token", "_v1_", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    _rule("shopify-token", "shpat_ shpca_ shppa_ shpss_", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"),
    _rule("vault-token", "hvs. hvb.", r"\bhv[sb]\.[A-Za-z0-9_-]{90,300}"),
    _rule("age-secret-key", "AGE-SECRET-KEY-1", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
    _rule("azure-storage-key", "AccountKey=", r"AccountKey=[A-Za-z0-9+/=]{88}"),
)


def find_secret_lines(data: bytes, rules: tuple[Rule, ...] = RULES) -> tuple[Span, ...]:
    """The line spans of ``data`` that hold a secret, in order, overlapping spans merged."""
    found: list[tuple[int, int, str]] = []
    for rule in rules:
        if not any(word in data for word in rule.keywords):
            continue
        found.extend((match.start(), match.end(), rule.name) for match in rule.pattern.finditer(data))
    if not found:
        return ()
    spans: list[Span] = []
    line, offset = 1, 0  # matches are visited in order, so newlines are counted once in total
    for start, end, name in sorted(found):
        line += data.count(b"\n", offset, start)
        first = line
        last = first + data.count(b"\n", start, max(start, end - 1))
        offset = start
        if spans and first <= spans[-1].end:
            previous = spans[-1]
            spans[-1] = Span(previous.start, max(previous.end, last), previous.rule)
        else:
            spans.append(Span(first, last, name))
    return tuple(spans)


def redact(data: bytes, spans: tuple[Span, ...]) -> bytes:
    """``data`` with every line of ``spans`` replaced by the marker; line breaks are kept as they were."""
    lines = data.split(b"\n")
    for span in spans:
        marker = MARKER % span.rule.encode()
        for number in range(span.start, span.end + 1):
            line = lines[number - 1]
            lines[number - 1] = marker + b"\r" if line.endswith(b"\r") else marker
    return b"\n".join(lines)
