#!/usr/bin/env python3
"""Query, filter and reshape JSON with a small path language; validate; list paths.

Path language (see SKILL.md for more):
  .                      whole document        items[0]         index (negative ok)
  a.b.c                  nested keys           items[1:3]       slice
  items[*].name          every item's name     obj.*            every value of an object
  ["key with spaces"]    quoted key            ..id             every "id" at any depth
  items[?price>10]       filter (== != < <= > >= =~ && || ! and parentheses)
  items[*].{name, cost: price}                 pick/rename keys
  QUERY | length | sort_by(price) | count_by(category) ...    pipe functions
"""

from __future__ import annotations

import argparse
import json
import re
import sys

MISSING = object()


class QueryError(Exception):
    """Syntax error in the query."""


class NotFound(Exception):
    """A non-wildcard path did not match."""


# --------------------------------------------------------------------------- tokenizer
TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<op>\.\.|\|\||&&|==|!=|>=|<=|=~|[.\[\]*?:,{}()|!<>@$])
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
""",
    re.X,
)


ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "/": "/"}


def unescape(body: str) -> str:
    """Undo \\" \\' \\\\ \\n \\t; keep other backslashes (so regexes like \\d work)."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body) and body[i + 1] in ESCAPES:
            out.append(ESCAPES[body[i + 1]])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def tokenize(text: str):
    pos, out = 0, []
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise QueryError(f"unexpected character {text[pos]!r} at position {pos}")
        kind = m.lastgroup
        val = m.group(kind)
        pos = m.end()
        if kind == "ws":
            continue
        if kind == "string":
            val = unescape(val[1:-1])
        elif kind == "number":
            val = float(val) if any(c in val for c in ".eE") else int(val)
        out.append((kind, val))
    out.append(("end", None))
    return out


# --------------------------------------------------------------------------- parser
class Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.toks[self.i + k]

    def next(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept(self, value):
        if self.peek() == ("op", value):
            self.i += 1
            return True
        return False

    def expect(self, value):
        tok = self.next()
        if tok != ("op", value):
            got = "end of query" if tok[0] == "end" else repr(tok[1])
            raise QueryError(f"expected {value!r} but found {got} in {self.text!r}")

    # query := path ('|' func)*
    def parse_query(self):
        steps = self.parse_path(top=True)
        funcs = []
        while self.accept("|"):
            funcs.append(self.parse_func())
        if self.peek()[0] != "end":
            raise QueryError(f"unexpected {self.peek()[1]!r} in {self.text!r}")
        return steps, funcs

    def parse_func(self):
        kind, name = self.next()
        if kind != "name" or name not in FUNCS:
            raise QueryError(f"unknown function {name!r}; available: {', '.join(sorted(FUNCS))}")
        arg = None
        if FUNCS[name][1]:
            self.expect("(")
            arg = self.parse_path(top=False)
            self.expect(")")
        return name, arg

    def parse_path(self, top: bool):
        """Parse a path. top=False: a relative path inside a filter/projection/function."""
        steps = []
        if self.accept("$") or self.accept("@"):
            pass
        first = True
        while True:
            tok = self.peek()
            if tok == ("op", "."):
                self.i += 1
                nxt = self.peek()
                if nxt[0] == "name" or nxt[0] == "string":
                    self.i += 1
                    steps.append(("key", nxt[1]))
                elif nxt == ("op", "*"):
                    self.i += 1
                    steps.append(("wild",))
                elif nxt == ("op", "{"):
                    steps.append(self.parse_projection())
                elif nxt == ("op", "["):
                    continue
                elif nxt[0] == "number" and isinstance(nxt[1], int):
                    self.i += 1
                    steps.append(("index", nxt[1]))
                else:
                    pass  # lone '.' = identity
            elif tok == ("op", ".."):
                self.i += 1
                nxt = self.next()
                if nxt[0] in ("name", "string"):
                    steps.append(("recurse", nxt[1]))
                elif nxt == ("op", "*"):
                    steps.append(("recurse", None))
                else:
                    raise QueryError(f"expected a key after '..' in {self.text!r}")
            elif tok == ("op", "["):
                self.i += 1
                steps.append(self.parse_bracket())
            elif tok == ("op", "{"):
                steps.append(self.parse_projection())
            elif first and tok[0] in ("name", "string") and (top or tok[0] == "name"):
                self.i += 1
                steps.append(("key", tok[1]))
            elif first and tok == ("op", "*"):
                self.i += 1
                steps.append(("wild",))
            else:
                break
            first = False
        return steps

    def parse_bracket(self):
        tok = self.peek()
        if tok == ("op", "*"):
            self.i += 1
            self.expect("]")
            return ("wild",)
        if tok == ("op", "?"):
            self.i += 1
            cond = self.parse_or()
            self.expect("]")
            return ("filter", cond)
        if tok[0] == "string":
            self.i += 1
            self.expect("]")
            return ("key", tok[1])
        # index or slice
        parts = [None, None, None]
        idx = 0
        while True:
            t = self.peek()
            if t[0] == "number":
                if not isinstance(t[1], int):
                    raise QueryError(f"index must be an integer, got {t[1]}")
                parts[idx] = t[1]
                self.i += 1
            elif t == ("op", ":"):
                idx += 1
                if idx > 2:
                    raise QueryError("too many ':' in slice")
                self.i += 1
            elif t == ("op", "]"):
                self.i += 1
                break
            elif t[0] == "end":
                raise QueryError(f"unclosed '[' in {self.text!r}")
            else:
                raise QueryError(f"bad index {t[1]!r}; use [0], [-1], [1:3], [*], ['key'] or [?cond]")
        if idx == 0:
            if parts[0] is None:
                raise QueryError("empty [] in query")
            return ("index", parts[0])
        return ("slice", parts[0], parts[1], parts[2])

    def parse_projection(self):
        self.expect("{")
        fields = []
        while True:
            kind, name = self.next()
            if kind not in ("name", "string"):
                raise QueryError(f"expected a key name in {{...}} of {self.text!r}")
            sub = self.parse_path(top=False) if self.accept(":") else [("key", name)]
            fields.append((name, sub))
            if self.accept("}"):
                break
            self.expect(",")
        return ("project", fields)

    # cond grammar
    def parse_or(self):
        node = self.parse_and()
        while self.accept("||"):
            node = ("or", node, self.parse_and())
        return node

    def parse_and(self):
        node = self.parse_not()
        while self.accept("&&"):
            node = ("and", node, self.parse_not())
        return node

    def parse_not(self):
        if self.accept("!"):
            return ("not", self.parse_not())
        if self.accept("("):
            node = self.parse_or()
            self.expect(")")
            return node
        left = self.parse_operand()
        tok = self.peek()
        if tok[0] == "op" and tok[1] in ("==", "!=", ">", ">=", "<", "<=", "=~"):
            self.i += 1
            right = self.parse_operand()
            return ("cmp", tok[1], left, right)
        return ("truthy", left)

    def parse_operand(self):
        tok = self.peek()
        if tok[0] in ("number", "string"):
            self.i += 1
            return ("lit", tok[1])
        if tok[0] == "name" and tok[1] in ("true", "false", "null"):
            self.i += 1
            return ("lit", {"true": True, "false": False, "null": None}[tok[1]])
        if tok[0] == "name" or (tok[0] == "op" and tok[1] in ("@", ".", "[")):
            return ("path", self.parse_path(top=False))
        raise QueryError(f"unexpected {tok[1]!r} in filter of {self.text!r}")


# --------------------------------------------------------------------------- evaluation
def truthy(v) -> bool:
    return not (v is MISSING or v is None or v is False or v == "" or v == [] or v == {})


def is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def compare(op, a, b) -> bool:
    if a is MISSING or b is MISSING:
        return op == "!=" and not (a is MISSING and b is MISSING)
    if op in ("==", "!="):
        same = (isinstance(a, bool) == isinstance(b, bool)) and a == b
        return same if op == "==" else not same
    if op == "=~":
        return isinstance(a, str) and isinstance(b, str) and re.search(b, a) is not None
    if not ((is_num(a) and is_num(b)) or (isinstance(a, str) and isinstance(b, str))):
        return False
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def eval_cond(cond, item) -> bool:
    kind = cond[0]
    if kind == "or":
        return eval_cond(cond[1], item) or eval_cond(cond[2], item)
    if kind == "and":
        return eval_cond(cond[1], item) and eval_cond(cond[2], item)
    if kind == "not":
        return not eval_cond(cond[1], item)
    if kind == "truthy":
        return truthy(operand(cond[1], item))
    return compare(cond[1], operand(cond[2], item), operand(cond[3], item))


def operand(op, item):
    if op[0] == "lit":
        return op[1]
    return relative(op[1], item)


def relative(steps, item):
    """Evaluate a relative path leniently: MISSING instead of NotFound."""
    try:
        return evaluate(item, steps)
    except NotFound:
        return MISSING


def describe(steps) -> str:
    out = ""
    for s in steps:
        if s[0] == "key":
            out += "." + s[1] if re.fullmatch(r"[A-Za-z_][\w-]*", s[1]) else f"[{json.dumps(s[1])}]"
        elif s[0] == "index":
            out += f"[{s[1]}]"
        elif s[0] == "wild":
            out += "[*]"
        elif s[0] == "slice":
            out += "[" + ":".join("" if x is None else str(x) for x in s[1:]) + "]"
        elif s[0] == "filter":
            out += "[?...]"
        elif s[0] == "recurse":
            out += ".." + (s[1] or "*")
        elif s[0] == "project":
            out += ".{" + ",".join(f[0] for f in s[1]) + "}"
    return out.lstrip(".") or "."


def recurse(node, key):
    found = []
    if isinstance(node, dict):
        for k, v in node.items():
            if key is None or k == key:
                found.append(v)
            found.extend(recurse(v, key))
    elif isinstance(node, list):
        for v in node:
            found.extend(recurse(v, key))
    return found


def evaluate(doc, steps):
    """Return the value at ``steps``. Wildcards/filters/slices make the result a list."""
    nodes, multi = [doc], False
    for n, step in enumerate(steps):
        kind = step[0]
        out = []
        here = describe(steps[:n]) if not multi else None
        if kind == "key":
            for node in nodes:
                if isinstance(node, dict) and step[1] in node:
                    out.append(node[step[1]])
                elif not multi:
                    if isinstance(node, list):
                        raise NotFound(f"{here} is a list; use {here}[*].{step[1]} or an index")
                    raise NotFound(
                        f"key {step[1]!r} not found at {here}"
                        + (
                            f" (keys: {', '.join(list(map(str, node))[:15])})"
                            if isinstance(node, dict)
                            else f" ({type_name(node)})"
                        )
                    )
        elif kind == "index":
            for node in nodes:
                if isinstance(node, list) and -len(node) <= step[1] < len(node):
                    out.append(node[step[1]])
                elif not multi:
                    if isinstance(node, list):
                        raise NotFound(f"index {step[1]} out of range at {here} (length {len(node)})")
                    raise NotFound(f"{here} is {type_name(node)}, not a list")
        elif kind == "slice":
            multi = True
            for node in nodes:
                if isinstance(node, list):
                    out.extend(node[slice(step[1], step[2], step[3])])
        elif kind == "wild":
            if not multi and not isinstance(nodes[0], (list, dict)):
                raise NotFound(f"{here} is {type_name(nodes[0])}; [*] needs a list or object")
            multi = True
            for node in nodes:
                if isinstance(node, list):
                    out.extend(node)
                elif isinstance(node, dict):
                    out.extend(node.values())
        elif kind == "filter":
            multi = True
            for node in nodes:
                items = node if isinstance(node, list) else (list(node.values()) if isinstance(node, dict) else [])
                out.extend(x for x in items if eval_cond(step[1], x))
        elif kind == "recurse":
            multi = True
            for node in nodes:
                out.extend(recurse(node, step[1]))
        elif kind == "project":
            for node in nodes:
                obj = {}
                for name, sub in step[1]:
                    val = relative(sub, node)
                    obj[name] = None if val is MISSING else val
                out.append(obj)
        nodes = out
    return nodes if multi else nodes[0]


def type_name(v) -> str:
    if v is None:
        return "null"
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(v), type(v).__name__)


# --------------------------------------------------------------------------- functions
def _need_list(name, v):
    if not isinstance(v, list):
        raise NotFound(f"{name} needs an array, got {type_name(v)}")
    return v


def _key_of(path):
    return lambda x: relative(path, x)


def _sort_key(v):
    if v is MISSING or v is None:
        return (0, 0)
    if isinstance(v, bool):
        return (1, v)
    if is_num(v):
        return (2, v)
    if isinstance(v, str):
        return (3, v)
    return (4, json.dumps(v, sort_keys=True))


def _numbers(name, v):
    vals = _need_list(name, v)
    bad = [x for x in vals if not is_num(x)]
    if bad:
        raise NotFound(f"{name} needs numbers, found {type_name(bad[0])} {json.dumps(bad[0])}")
    return vals


def _hashable(v):
    return json.dumps(v, sort_keys=True)


def f_length(v, _):
    if isinstance(v, (list, dict, str)):
        return len(v)
    if v is None:
        return 0
    raise NotFound(f"length of {type_name(v)} is undefined")


def f_keys(v, _):
    if not isinstance(v, dict):
        raise NotFound(f"keys needs an object, got {type_name(v)}")
    return list(v.keys())


def f_values(v, _):
    if not isinstance(v, dict):
        raise NotFound(f"values needs an object, got {type_name(v)}")
    return list(v.values())


def f_unique(v, _):
    seen, out = set(), []
    for x in _need_list("unique", v):
        h = _hashable(x)
        if h not in seen:
            seen.add(h)
            out.append(x)
    return out


def f_flatten(v, _):
    out = []
    for x in _need_list("flatten", v):
        out.extend(x if isinstance(x, list) else [x])
    return out


def f_group_by(v, path):
    groups: dict = {}
    for x in _need_list("group_by", v):
        k = relative(path, x)
        key = "null" if k is MISSING or k is None else (k if isinstance(k, str) else json.dumps(k))
        groups.setdefault(key, []).append(x)
    return groups


def f_count_by(v, path):
    counts = {k: len(g) for k, g in f_group_by(v, path).items()}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


FUNCS = {
    # name: (function(value, arg_path), takes_argument)
    "length": (f_length, False),
    "count": (f_length, False),
    "keys": (f_keys, False),
    "values": (f_values, False),
    "sum": (lambda v, _: sum(_numbers("sum", v)), False),
    "min": (lambda v, _: min(_numbers("min", v)) if v else None, False),
    "max": (lambda v, _: max(_numbers("max", v)) if v else None, False),
    "avg": (lambda v, _: (sum(_numbers("avg", v)) / len(v)) if v else None, False),
    "sort": (lambda v, _: sorted(_need_list("sort", v), key=_sort_key), False),
    "sort_by": (
        lambda v, p: sorted(_need_list("sort_by", v), key=lambda x: _sort_key(relative(p, x))),
        True,
    ),
    "reverse": (lambda v, _: list(reversed(_need_list("reverse", v))), False),
    "unique": (f_unique, False),
    "flatten": (f_flatten, False),
    "first": (lambda v, _: _need_list("first", v)[0] if v else None, False),
    "last": (lambda v, _: _need_list("last", v)[-1] if v else None, False),
    "map": (
        lambda v, p: [None if (r := relative(p, x)) is MISSING else r for x in _need_list("map", v)],
        True,
    ),
    "group_by": (f_group_by, True),
    "count_by": (f_count_by, True),
    "type": (lambda v, _: type_name(v), False),
}


def run_query(doc, text: str):
    steps, funcs = Parser(text.strip() or ".").parse_query()
    value = evaluate(doc, steps)
    for name, arg in funcs:
        value = FUNCS[name][0](value, arg)
    return value


# --------------------------------------------------------------------------- paths listing
def leaf_paths(node, prefix="", out=None):
    """Collect collapsed paths: lists become [*]. Returns {path: {types}, count}."""
    if out is None:
        out = {}
    if isinstance(node, dict) and node:
        for k, v in node.items():
            key = f".{k}" if re.fullmatch(r"[A-Za-z_][\w-]*", str(k)) else f"[{json.dumps(k)}]"
            leaf_paths(v, prefix + key, out)
        return out
    if isinstance(node, list) and node:
        for v in node:
            leaf_paths(v, prefix + "[*]", out)
        return out
    entry = out.setdefault(prefix.lstrip(".") or ".", {"types": set(), "count": 0, "example": node})
    entry["types"].add(type_name(node) if node not in ([], {}) else ("empty array" if node == [] else "empty object"))
    entry["count"] += 1
    return out


# --------------------------------------------------------------------------- I/O
def load(text: str, source: str, force_lines: bool):
    """Return (document, is_json_lines)."""
    if not force_lines:
        try:
            return json.loads(text), False
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise ValueError(
                    f"invalid JSON in {source}: {exc.msg} at line {exc.lineno} column {exc.colno}"
                ) from None
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"invalid JSON Lines in {source}: line {n}: {exc.msg} at column {exc.colno}") from None
    return items, True


def dump(value, args) -> str:
    if args.lines:
        items = value if isinstance(value, list) else [value]
        return "".join(
            (x if isinstance(x, str) else json.dumps(x, ensure_ascii=False, sort_keys=args.sort_keys)) + "\n"
            for x in items
        )
    if args.raw and isinstance(value, str):
        return value + "\n"
    if args.compact:
        return json.dumps(value, ensure_ascii=False, sort_keys=args.sort_keys, separators=(",", ":")) + "\n"
    return json.dumps(value, ensure_ascii=False, sort_keys=args.sort_keys, indent=args.indent) + "\n"


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n", 2)[2] + "\nExamples:\n"
        "  query.py data.json                         # pretty-print\n"
        "  query.py data.json 'items[?price>10].name' --lines\n"
        "  query.py data.json 'items | count_by(category)'\n"
        "  query.py data.json --validate\n"
        "  query.py data.json --paths",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", help="JSON or JSON Lines file ('-' for stdin)")
    p.add_argument("query", nargs="?", default=".", help="path query (default '.': whole document)")
    p.add_argument("-o", "--output", help="write the result to this file")
    p.add_argument(
        "-l",
        "--lines",
        action="store_true",
        help="one result per line (list items; strings unquoted)",
    )
    p.add_argument("-r", "--raw", action="store_true", help="print a string result without quotes")
    p.add_argument("-c", "--compact", action="store_true", help="compact single-line JSON")
    p.add_argument("--indent", type=int, default=2, help="indent for pretty output (default 2)")
    p.add_argument("--sort-keys", action="store_true", help="sort object keys in the output")
    p.add_argument(
        "--jsonl",
        action="store_true",
        help="treat the input as JSON Lines (auto-detected when the file has several JSON values)",
    )
    p.add_argument(
        "--default",
        metavar="JSON",
        help="print this JSON value instead of failing when the path is missing",
    )
    p.add_argument(
        "--validate",
        action="store_true",
        help="only check that the input is valid JSON; report type and size",
    )
    p.add_argument(
        "--paths",
        action="store_true",
        help="list every leaf path (lists collapsed to [*]) with its types",
    )
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        if args.input == "-":
            text = sys.stdin.read()
        else:
            with open(args.input, encoding="utf-8-sig") as fh:
                text = fh.read()
    except FileNotFoundError:
        print(f"error: input file not found: {args.input}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    if not text.strip():
        print(f"error: {args.input} is empty", file=sys.stderr)
        return 2 if not args.validate else 1
    try:
        doc, is_lines = load(text, args.input, args.jsonl)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1 if args.validate else 2

    if args.validate:
        if is_lines:
            print(f"valid JSON Lines: {len(doc)} records")
        else:
            size = (
                f" with {len(doc)} {'keys' if isinstance(doc, dict) else 'items'}"
                if isinstance(doc, (list, dict))
                else ""
            )
            print(f"valid JSON: {type_name(doc)}{size}")
        return 0
    if args.paths:
        for path, info in leaf_paths(doc).items():
            ex = json.dumps(info["example"], ensure_ascii=False)
            ex = ex if len(ex) <= 40 else ex[:37] + "..."
            print(f"{path}\t{'|'.join(sorted(info['types']))}\tx{info['count']}\t{ex}")
        return 0

    try:
        result = run_query(doc, args.query)
    except QueryError as exc:
        print(f"error: bad query: {exc}", file=sys.stderr)
        return 2
    except NotFound as exc:
        if args.default is not None:
            try:
                result = json.loads(args.default)
            except json.JSONDecodeError:
                result = args.default
        else:
            print(f"error: no match: {exc}", file=sys.stderr)
            return 1
    out = dump(result, args)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(out)
        except OSError as exc:
            print(f"error: cannot write {args.output}: {exc}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
