"""Dangerous patterns in a skill's text: what ``memento verify`` refuses or warns about.

Each pattern names what it catches and how to fix it. They run over SKILL.md, scripts,
tests and references alike: a model reads the prose and runs the code, and a hostile
instruction is as dangerous in one as in the other.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Pattern:
    code: str
    level: Level
    regex: re.Pattern[str]
    message: str
    fix: str
    # Lower-case words of which at least one must appear for the regex to be worth running;
    # they keep a scan of ordinary text to a few substring searches.
    needles: tuple[str, ...]


def _p(code: str, level: Level, needles: str, pattern: str, message: str, fix: str) -> Pattern:
    return Pattern(code, level, re.compile(pattern, re.I), message, fix, tuple(needles.split()))


_SHELL = r"(?:sudo\s+)?(?:ba|z|da|k|fi)?sh\b"
_HOME = r"(?:~|\$HOME|\$\{HOME\}|/root|/home/[^/\s'\"]+|home\(\)\s*/\s*['\"]|expanduser\(\s*['\"]~)"

PATTERNS: tuple[Pattern, ...] = (
    _p(
        "pipe-to-shell",
        "error",
        "curl wget fetch",
        rf"\b(?:curl|wget|fetch)\b[^\n|;]*\|\s*(?:{_SHELL}|python[0-9.]*\b|perl\b|ruby\b|node\b)",
        "downloads code and runs it straight away (curl | sh)",
        "vendor the script into the skill's scripts/ folder, where it is reviewed and tested",
    ),
    _p(
        "pipe-to-shell",
        "error",
        "<( $(",
        r"(?:\b(?:ba|z|da)?sh|\bsource|\beval)\s+[\"']?(?:<\(|\$\()\s*(?:curl|wget)\b",
        "runs code fetched from the network (sh <(curl ...), eval $(wget ...))",
        "vendor the script into the skill's scripts/ folder, where it is reviewed and tested",
    ),
    _p(
        "secret-path",
        "error",
        ".ssh .aws .gnupg .netrc .docker .kube .git-credentials .npmrc .pypirc gcloud .azure password-store",
        rf"{_HOME}/?\.(?:ssh|aws|gnupg|netrc|docker/config|kube|git-credentials|npmrc|pypirc|"
        r"config/gcloud|azure|password-store)\b",
        "reads a credentials folder in the home directory",
        "a skill works only on its inputs in /work; remove the access (the sandbox hides $HOME anyway)",
    ),
    _p(
        "secret-path",
        "error",
        "id_ .aws/credentials /etc/shadow",
        r"\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\.aws/credentials\b|/etc/shadow\b",
        "names a private key or password file",
        "remove it; skills never handle keys or passwords",
    ),
    _p(
        "proc-environ",
        "error",
        "/proc/",
        r"/proc/(?:\*|self|\d+|\$\{?\w+\}?|\{[^}\n]*\}|[^/\s]*)/(?:environ|mem)\b",
        "reads another process's environment or memory (where API keys live)",
        "remove it; configuration reaches a skill through its inputs, never through /proc",
    ),
    _p(
        "sandbox-bypass",
        "error",
        "--no-sandbox allow_unsandboxed",
        r"--no-sandbox\b|\ballow_unsandboxed\b",
        "asks for the sandbox to be switched off",
        "remove it; only a person may decide to run without the sandbox, never a skill",
    ),
    _p(
        "sandbox-bypass",
        "error",
        "sandbox bwrap bubblewrap",
        r"\b(?:disable|turn\s+off|bypass|escape|break\s+out\s+of|circumvent|skip|get\s+around)"
        r"\s+(?:the\s+)?(?:bubblewrap|bwrap|sandbox)",
        "tells the reader to get around the sandbox",
        "remove the instruction; if the skill needs network, declare metadata.memento.network "
        "and let a person grant it",
    ),
    _p(
        "sandbox-bypass",
        "error",
        "sandbox bwrap",
        r"\b(?:run|execute)\b[^\n.]{0,30}\b(?:without|outside(?:\s+of)?)\s+(?:the\s+)?(?:sandbox|bwrap)"
        r"|\bsandbox\s+is\s+(?:broken|disabled|not\s+needed|unnecessary|misconfigured)",
        "tells the reader to run code outside the sandbox",
        "remove the instruction; a failing sandbox is reported by 'memento doctor'",
    ),
    _p(
        "review-bypass",
        "error",
        "merge approve accept apply review",
        r"\b(?:merge|approve|accept|apply)\b[^\n.]{0,40}\b(?:immediately|automatically|right\s+away"
        r"|without\s+(?:review|reviewing|asking|checking|approval))"
        r"|\b(?:skip|bypass|avoid)\s+(?:the\s+|any\s+|a\s+)?(?:human\s+|code\s+|manual\s+)?review"
        r"|\bno\s+(?:need\s+(?:for|to)\s+)?review(?:ing)?\s+(?:is\s+)?(?:needed|required)\b"
        r"|\bpre-?approved\b|\bauto-?merge\b|\bmemento\s+patches\s+merge\b",
        "tells the agent to merge or to skip the person's review",
        "remove it; every change to a skill is reviewed by a person",
    ),
    _p(
        "prompt-injection",
        "error",
        "ignore disregard forget override tell inform show mention hide conceal",
        r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|your\s+|the\s+)*(?:previous|prior"
        r"|above|earlier|system|original)\s+(?:instructions|prompts?|rules|messages)"
        r"|\bdo\s+not\s+(?:tell|inform|show|mention\s+(?:this\s+)?to)\s+the\s+(?:user|human|reviewer|person)"
        r"|\b(?:hide|conceal)\s+(?:this|it)\s+from\s+the\s+(?:user|human|reviewer|person)",
        "contains an instruction aimed at the agent rather than at the task",
        "remove it; a skill describes how to do a task, it does not give the agent orders",
    ),
    _p(
        "obfuscated-exec",
        "error",
        "base64 decode decompress fromhex marshal",
        rf"base64\s+(?:-d|--decode|-D)\b[^\n]*\|\s*(?:{_SHELL}|python[0-9.]*\b)"
        r"|\b(?:exec|eval)\s*\(\s*(?:base64\.\w*decode|codecs\.decode|zlib\.decompress|bytes\.fromhex"
        r"|marshal\.loads|__import__\(\s*['\"](?:base64|zlib|codecs|marshal))"
        r"|\beval\s+[\"']?\$\((?:echo|printf)[^)\n]*\|\s*base64",
        "decodes hidden code and runs it",
        "write the code out in plain text so a reviewer can read it",
    ),
    _p(
        "reverse-shell",
        "error",
        "/dev/tcp /dev/udp nc ncat socat -i",
        r"/dev/(?:tcp|udp)/|\bnc(?:at)?\b[^\n]*\s-[ec]\s|\bsocat\b[^\n]*\bexec:|\bbash\s+-i\s*>&",
        "opens a raw network connection or a remote shell",
        "remove it; a skill that needs network declares it and uses ordinary HTTP",
    ),
    _p(
        "persistence",
        "error",
        "bashrc profile crontab hooks systemctl",
        rf"(?:>>?|\btee\s+(?:-a\s+)?)\s*{_HOME}/?\.(?:bashrc|profile|zshrc|bash_profile|zprofile)\b"
        r"|\bcrontab\b|\.git/hooks\b|core\.hooksPath|\bsystemctl\s+(?:enable|--user)",
        "tries to make something run again later (shell rc files, cron, git hooks, services)",
        "remove it; a skill runs once, in the sandbox, and leaves nothing behind",
    ),
    _p(
        "destructive",
        "error",
        "rm ",
        r"\brm\s+-[a-z]*r[a-z]*\s+(?:-[a-z]+\s+)*(?:/|~|\$HOME|\$\{HOME\})/?(?:\s|$|\*|[\"'])",
        "deletes a whole file tree outside the work dir",
        "delete only what the skill itself created in /work",
    ),
    _p(
        "privilege",
        "warning",
        "sudo chmod setuid",
        r"\bsudo\s+\w|\bchmod\s+(?:[ugoa]*\+[rwx]*s|[0-7]?[4-7][0-7]{3}\b)|\bsetuid\s*\(",
        "asks for root or sets a setuid bit; this cannot work in the sandbox",
        "list system packages the skill needs in 'compatibility' instead",
    ),
    _p(
        "upload",
        "warning",
        "curl",
        r"\bcurl\b[^\n]*\s(?:-d|--data(?:-binary|-raw)?|-F|--form|-T|--upload-file)\s+[\"']?[^\s\"']*@"
        r"|\bcurl\b[^\n]*\s(?:-T|--upload-file)\s",
        "uploads a local file somewhere",
        "make sure this is what the skill is for; the sandbox gives it no network unless granted",
    ),
)


@dataclass(frozen=True)
class PatternHit:
    pattern: Pattern
    line: int
    excerpt: str


def find_patterns(text: str) -> list[PatternHit]:
    """Every pattern that matches, with its 1-based line and the matching excerpt."""
    starts: list[int] | None = None
    hits: list[PatternHit] = []
    seen: set[tuple[str, int]] = set()
    lowered = text.lower()
    for pattern in PATTERNS:
        if not any(needle in lowered for needle in pattern.needles):
            continue
        for match in pattern.regex.finditer(text):
            if starts is None:
                starts = [0, *(m.end() for m in re.finditer("\n", text))]
            line = bisect.bisect_right(starts, match.start())
            if (pattern.code, line) in seen:
                continue
            seen.add((pattern.code, line))
            hits.append(PatternHit(pattern, line, match.group(0).strip()[:80]))
    hits.sort(key=lambda h: (h.line, h.pattern.code))
    return hits
