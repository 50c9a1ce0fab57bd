"""Patches for the review tests: a typical one whose changed words sit at the far end of
long lines, over two files (SKILL.md and a script), on real branches."""

from __future__ import annotations

from memento_tui.domain.patches.model import Patch
from memento_tui.services.factory import Services
from tests.ui.conftest import evidence

USAGE = "python3 /skill/scripts/csv2json.py INPUT [-o OUT] [--format records|jsonl] [--infer-types]"
SNIFF = "wrong (everything lands in one column, you see `Ã©` or `\\ufeff`), run `sniff.py` first."
SCRIPT = "skills/csv-json/scripts/delimiter_guard.py"


def long_line_patch(services: Services) -> Patch:
    """Changes at the right end of lines longer than half an 80-column screen, a new
    paragraph, and a new script: two files, three hunks."""
    skill_md = services.paths.skill_dir("csv-json") / "SKILL.md"
    text = skill_md.read_text(encoding="utf-8")
    assert USAGE in text and SNIFF in text
    text = text.replace(USAGE, USAGE + " [--strict-delimiter]")
    text = text.replace(SNIFF, SNIFF.replace("`sniff.py` first", "`sniff.py --json` first and read its delimiter"))
    text += (
        "\n## Delimiters\n\nNever assume a comma: European exports use semicolons, and a file whose every row "
        "has one field was read with the wrong delimiter; run `delimiter_guard.py` before converting.\n"
    )
    script = (
        "import csv, sys\n\n"
        "def guess(path):\n"
        "    sample = open(path, encoding='utf-8', errors='replace').read(4096)\n"
        "    return csv.Sniffer().sniff(sample, delimiters=',;\\t|').delimiter  # a wrong guess raises csv.Error\n\n"
        "print(guess(sys.argv[1]))\n"
    )
    return services.patches().create(
        "csv-json",
        {"skills/csv-json/SKILL.md": text.encode("utf-8"), SCRIPT: script.encode("utf-8")},
        evidence(),
    )
