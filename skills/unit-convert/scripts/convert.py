#!/usr/bin/env python3
"""Convert values between units: length, area, mass, volume, temperature, speed,
data size (SI kB=1000 vs IEC KiB=1024, bits vs bytes) and time.

  convert.py 5 km mi                  ->  5 km = 3.106855961 mi
  convert.py 5km mi ft                ->  several targets at once
  convert.py -40 C F                  ->  temperatures (use --delta for differences)
  convert.py --csv runs.csv --column distance --from km --to mi -o runs_mi.csv
  convert.py --list [CATEGORY]
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import re
import sys
from decimal import Decimal

# unit -> (category, factor to the category's base unit, aliases)
# Temperature is handled separately (affine).
UNITS: dict[str, tuple[str, float, list[str]]] = {}


def _add(category, unit, factor, *aliases):
    UNITS[unit] = (category, float(factor), list(aliases))


# length, base metre
for u, f, *a in [
    ("m", 1, "meter", "meters", "metre", "metres"),
    ("km", 1000, "kilometer", "kilometers", "kilometre", "kilometres"),
    ("cm", 0.01, "centimeter", "centimeters", "centimetre", "centimetres"),
    ("mm", 0.001, "millimeter", "millimeters", "millimetre", "millimetres"),
    ("um", 1e-6, "µm", "μm", "micron", "microns", "micrometer", "micrometre"),
    ("nm", 1e-9, "nanometer", "nanometre"),
    ("mi", 1609.344, "mile", "miles"),
    ("yd", 0.9144, "yard", "yards"),
    ("ft", 0.3048, "foot", "feet"),
    ("in", 0.0254, "inch", "inches"),
    ("nmi", 1852, "nautical_mile", "nautical_miles", "NM"),
]:
    _add("length", u, f, *a)

# area, base square metre
for u, f, *a in [
    ("m2", 1, "m^2", "sqm", "square_meter", "square_metre"),
    ("km2", 1e6, "km^2", "square_kilometer", "square_kilometre"),
    ("cm2", 1e-4, "cm^2"),
    ("mm2", 1e-6, "mm^2"),
    ("ha", 1e4, "hectare", "hectares"),
    ("acre", 4046.8564224, "acres", "ac"),
    ("ft2", 0.09290304, "ft^2", "sqft", "square_foot", "square_feet"),
    ("in2", 0.00064516, "in^2", "sqin"),
    ("yd2", 0.83612736, "yd^2"),
    ("mi2", 2589988.110336, "mi^2", "square_mile", "square_miles"),
]:
    _add("area", u, f, *a)

# mass, base kilogram
for u, f, *a in [
    ("kg", 1, "kilogram", "kilograms", "kilo", "kilos"),
    ("g", 0.001, "gram", "grams"),
    ("mg", 1e-6, "milligram", "milligrams"),
    ("ug", 1e-9, "µg", "μg", "mcg", "microgram", "micrograms"),
    ("t", 1000, "tonne", "tonnes", "metric_ton", "metric_tons"),
    ("lb", 0.45359237, "lbs", "pound", "pounds"),
    ("oz", 0.028349523125, "ounce", "ounces"),
    ("st", 6.35029318, "stone", "stones"),
    ("short_ton", 907.18474, "us_ton", "short_tons"),
    ("long_ton", 1016.0469088, "imperial_ton", "long_tons"),
]:
    _add("mass", u, f, *a)

# volume, base litre
for u, f, *a in [
    ("l", 1, "L", "liter", "liters", "litre", "litres"),
    ("ml", 0.001, "mL", "milliliter", "milliliters", "millilitre", "millilitres"),
    ("cl", 0.01, "cL", "centiliter", "centilitre"),
    ("dl", 0.1, "dL", "deciliter", "decilitre"),
    ("m3", 1000, "m^3", "cubic_meter", "cubic_metre"),
    ("cm3", 0.001, "cm^3", "cc"),
    ("gal", 3.785411784, "us_gal", "gallon", "gallons", "us_gallon"),
    ("qt", 0.946352946, "us_qt", "quart", "quarts"),
    ("pt", 0.473176473, "us_pt", "pint", "pints"),
    ("cup", 0.2365882365, "cups", "us_cup"),
    ("floz", 0.0295735295625, "fl_oz", "fl.oz", "us_floz", "fluid_ounce", "fluid_ounces"),
    ("tbsp", 0.01478676478125, "tablespoon", "tablespoons"),
    ("tsp", 0.00492892159375, "teaspoon", "teaspoons"),
    ("imp_gal", 4.54609, "uk_gal", "imperial_gallon"),
    ("imp_pt", 0.56826125, "uk_pt", "imperial_pint"),
    ("imp_floz", 0.0284130625, "uk_floz"),
    ("ft3", 28.316846592, "ft^3", "cubic_foot", "cubic_feet", "cuft"),
    ("in3", 0.016387064, "in^3", "cubic_inch", "cubic_inches"),
]:
    _add("volume", u, f, *a)

# speed, base metre per second
for u, f, *a in [
    ("m/s", 1, "mps", "m_s", "meters_per_second"),
    ("km/h", 1 / 3.6, "kph", "kmh", "km_h", "kmph"),
    ("mph", 0.44704, "mi/h", "miles_per_hour"),
    ("knot", 0.5144444444444445, "knots", "kn", "kt"),
    ("ft/s", 0.3048, "fps", "ft_s"),
]:
    _add("speed", u, f, *a)

# time, base second
for u, f, *a in [
    ("s", 1, "sec", "secs", "second", "seconds"),
    ("ms", 1e-3, "millisecond", "milliseconds"),
    ("us", 1e-6, "µs", "μs", "microsecond", "microseconds"),
    ("ns", 1e-9, "nanosecond", "nanoseconds"),
    ("min", 60, "mins", "minute", "minutes"),
    ("h", 3600, "hr", "hrs", "hour", "hours"),
    ("day", 86400, "d", "days"),
    ("week", 604800, "wk", "weeks"),
    ("month", 2629746, "months", "mo"),  # 1/12 of a Julian year
    ("year", 31557600, "years", "yr", "yrs", "y"),  # Julian year, 365.25 days
]:
    _add("time", u, f, *a)

# data, base byte. SI prefixes are powers of 1000, IEC (Ki, Mi, ...) powers of 1024.
_add("data", "B", 1, "byte", "bytes")
_add("data", "bit", 0.125, "bits")
for i, (si, iec) in enumerate([("k", "Ki"), ("M", "Mi"), ("G", "Gi"), ("T", "Ti"), ("P", "Pi")], 1):
    si_b = si.upper() if si == "k" else si
    _add("data", f"{si}B", 1000**i, *([f"{si_b}B"] if si_b != si else []))
    _add("data", f"{iec}B", 1024**i)
    # "Mb"/"Gb" (capital prefix, small b) are the usual bit spellings; "kb" is left
    # ambiguous on purpose because people often mean kilobytes.
    _add("data", f"{si}bit", 1000**i / 8, *([f"{si_b}b", f"{si_b}bit"] if si_b != si else [f"{si}b"]))
    _add("data", f"{iec}bit", 1024**i / 8)

TEMPERATURE = {
    "C": ["c", "°C", "degC", "celsius", "centigrade"],
    "F": ["f", "°F", "degF", "fahrenheit"],
    "K": ["kelvin", "kelvins"],
    "R": ["rankine", "°R", "degR"],
}
AMBIGUOUS = {
    "ton": "use t (metric tonne), short_ton (US, 2000 lb) or long_ton (UK, 2240 lb)",
    "tons": "use t (metric tonne), short_ton (US, 2000 lb) or long_ton (UK, 2240 lb)",
    "mb": "use MB (megabyte) or Mb/Mbit (megabit)",
    "pb": "use PB (petabyte) or Pb/Pbit (petabit)",
    "gb": "use GB (gigabyte) or Gb/Gbit (gigabit)",
    "kb": "use kB (kilobyte) or kbit (kilobit)",
    "b": "use B (byte) or bit",
    "tb": "use TB (terabyte) or Tb/Tbit (terabit)",
}

ALIASES: dict[str, str] = {}
for unit, (_c, _f, aliases) in UNITS.items():
    for name in [unit, *aliases]:
        ALIASES[name] = unit
for unit, aliases in TEMPERATURE.items():
    for name in [unit, *aliases]:
        ALIASES[name] = unit


class ConvertError(Exception):
    pass


def resolve(name: str) -> str:
    raw = name.strip()
    key = raw.replace(" ", "_")
    if key in ALIASES:
        return ALIASES[key]
    if key in AMBIGUOUS:  # e.g. "ton"; exact-case "mb"/"kb" already resolved above
        raise ConvertError(f"unit {raw!r} is ambiguous: {AMBIGUOUS[key]}")
    low = key.lower()
    matches = sorted({u for n, u in ALIASES.items() if n.lower() == low}) if len(key) > 1 else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        hint = AMBIGUOUS.get(low, "write it with exact case: " + ", ".join(matches))
        raise ConvertError(f"unit {raw!r} is ambiguous: {hint}")
    close = difflib.get_close_matches(key, list(ALIASES), n=4, cutoff=0.6)
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise ConvertError(f"unknown unit {raw!r}.{hint} Run with --list to see all units.")


def category(unit: str) -> str:
    return "temperature" if unit in TEMPERATURE else UNITS[unit][0]


def to_kelvin(v: float, u: str) -> float:
    return {"K": v, "C": v + 273.15, "F": (v + 459.67) * 5 / 9, "R": v * 5 / 9}[u]


def from_kelvin(k: float, u: str) -> float:
    return {"K": k, "C": k - 273.15, "F": k * 9 / 5 - 459.67, "R": k * 9 / 5}[u]


def convert(value: float, src: str, dst: str, delta: bool = False) -> float:
    cs, cd = category(src), category(dst)
    if cs != cd:
        raise ConvertError(f"cannot convert {src} ({cs}) to {dst} ({cd})")
    if cs == "temperature":
        if delta:  # a temperature difference: only the scale factor matters
            scale = {"K": 1, "C": 1, "F": 5 / 9, "R": 5 / 9}
            return value * scale[src] / scale[dst]
        k = to_kelvin(value, src)
        if k < -1e-9:
            raise ConvertError(f"{fmt(value, 10, None)} {src} is below absolute zero")
        return from_kelvin(k, dst)
    return value * UNITS[src][1] / UNITS[dst][1]


NUM_RE = re.compile(r"^\s*([-+]?(?:\d{1,3}(?:,\d{3})+|\d[\d_]*)?(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_quantity(text: str) -> tuple[float, str | None]:
    """'5', '5 km', '5km', '1,200.5 m', '-40°C' -> (value, unit or None)."""
    m = NUM_RE.match(text)
    if not m or not re.search(r"\d", m.group(1)):
        raise ConvertError(f"not a number: {text!r}")
    num = m.group(1).replace(",", "").replace("_", "")
    try:
        value = float(num)
    except ValueError:
        raise ConvertError(f"not a number: {text!r}") from None
    unit = m.group(2) or None
    return value, unit


def fmt(v: float, precision: int, decimals: int | None) -> str:
    if decimals is not None:
        out = f"{v:.{decimals}f}"
        return "0" if decimals == 0 and out == "-0" else out
    if v == 0:
        return "0"
    if abs(v) >= 1e21 or abs(v) < 1e-9:
        return f"{v:.{precision}g}"
    d = Decimal(f"{v:.{precision}g}")
    out = format(d, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


def list_units(only: str | None) -> str:
    cats: dict[str, list[str]] = {}
    for unit, (cat, _f, aliases) in UNITS.items():
        cats.setdefault(cat, []).append(unit + (f" ({', '.join(aliases)})" if aliases else ""))
    cats["temperature"] = [f"{u} ({', '.join(a)})" for u, a in TEMPERATURE.items()]
    if only and only not in cats:
        raise ConvertError(f"unknown category {only!r}; choose from {', '.join(sorted(cats))}")
    lines = []
    for cat in sorted(cats):
        if only and cat != only:
            continue
        lines.append(f"{cat}:")
        lines.extend(f"  {u}" for u in cats[cat])
    return "\n".join(lines) + "\n"


def convert_csv(args) -> int:
    try:
        with open(args.csv, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise ConvertError(f"input file not found: {args.csv}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConvertError(f"cannot read {args.csv}: {exc}") from None
    if not args.column or not args.to:
        raise ConvertError("--csv needs --column and --to (and --from unless cells carry units)")
    delim = args.delimiter
    if delim in (None, "auto"):
        first = text.split("\n", 1)[0]
        counts = {d: first.count(d) for d in [",", ";", "\t", "|"]}
        delim = max(counts, key=counts.get) if max(counts.values()) else ","
    delim = {"tab": "\t", "\\t": "\t"}.get(delim, delim)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    if not rows:
        raise ConvertError("CSV has no rows")
    header = rows[0]
    if args.column not in header:
        raise ConvertError(f"column {args.column!r} not found. Available: {', '.join(header)}")
    col = header.index(args.column)
    dst = resolve(args.to)
    src_default = resolve(args.from_unit) if args.from_unit else None
    if src_default:
        convert(1 if category(src_default) != "temperature" else 0, src_default, dst)  # type check
    new_name = args.new_column or f"{args.column}_{args.to}"
    if not args.in_place:
        if new_name in header:
            raise ConvertError(f"column {new_name!r} already exists; use --new-column or --in-place")
        header.append(new_name)
    problems = converted = 0
    for rnum, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        cell = row[col] if col < len(row) else ""
        result = ""
        if cell.strip():
            try:
                value, unit = parse_quantity(cell)
                src = resolve(unit) if unit else src_default
                if src is None:
                    raise ConvertError("no unit in the cell and no --from given")
                result = fmt(convert(value, src, dst, args.delta), args.precision, args.decimals)
                converted += 1
            except ConvertError as exc:
                problems += 1
                if problems <= 10:
                    print(f"warning: line {rnum}: {exc}", file=sys.stderr)
                result = cell if args.in_place else ""
        if args.in_place:
            while len(row) <= col:
                row.append("")
            row[col] = result
        else:
            row.extend([""] * (len(header) - 1 - len(row)))
            row.append(result)
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim, lineterminator="\n").writerows(rows)
    out = buf.getvalue()
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            fh.write(out)
    else:
        sys.stdout.write(out)
    print(
        f"column {args.column!r} -> {dst}: {converted} converted, {problems} problem(s), "
        f"{len(rows) - 1 - converted - problems} empty",
        file=sys.stderr,
    )
    return 1 if problems and args.strict else 0


def build_parser():
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Usage forms:\n" + __doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "args",
        nargs="*",
        metavar="VALUE FROM TO",
        help="a value and units: '5 km mi', '5km mi', '5 km to mi ft'",
    )
    p.add_argument("--precision", type=int, default=10, help="significant digits in results (default 10)")
    p.add_argument("--decimals", type=int, help="fixed number of decimals instead of --precision")
    p.add_argument(
        "--delta",
        action="store_true",
        help="temperatures are differences (10 C delta = 18 F), not readings",
    )
    p.add_argument("-q", "--value-only", action="store_true", help="print only the number(s)")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.add_argument(
        "--list",
        nargs="?",
        const="",
        metavar="CATEGORY",
        help="list units (optionally of one category) and exit",
    )
    g = p.add_argument_group("CSV mode")
    g.add_argument("--csv", metavar="FILE", help="convert a column of this CSV file")
    g.add_argument("--column", help="column to convert")
    g.add_argument("--from", dest="from_unit", help="unit of the column (optional if cells say '5 km')")
    g.add_argument("--to", help="target unit")
    g.add_argument("--new-column", help="name of the added column (default COLUMN_TO)")
    g.add_argument("--in-place", action="store_true", help="overwrite the column instead of adding one")
    g.add_argument("--delimiter", default="auto", help="CSV delimiter (default auto)")
    g.add_argument("--strict", action="store_true", help="exit 1 if any cell could not be converted")
    g.add_argument("-o", "--output", help="output CSV file (default stdout)")
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")
    try:
        if args.precision < 1 or (args.decimals is not None and args.decimals < 0):
            raise ConvertError("--precision must be >= 1 and --decimals >= 0")
        if args.list is not None:
            sys.stdout.write(list_units(args.list or None))
            return 0
        if args.csv:
            return convert_csv(args)
        words = [w for w in args.args if w.lower() != "to"]
        if not words:
            parser.print_usage(sys.stderr)
            raise ConvertError("give VALUE FROM TO, e.g. '5 km mi' (or --csv / --list)")
        value, unit = parse_quantity(words[0])
        rest = words[1:]
        if unit is None:
            if not rest:
                raise ConvertError("missing the source unit, e.g. '5 km mi'")
            unit, rest = rest[0], rest[1:]
        if args.to:
            rest.append(args.to)
        if not rest:
            raise ConvertError(f"missing the target unit, e.g. '{words[0]} {unit} <unit>'")
        src = resolve(unit)
        results = []
        for target in rest:
            dst = resolve(target)
            results.append((target, dst, convert(value, src, dst, args.delta)))
    except ConvertError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write output: {exc}", file=sys.stderr)
        return 2
    vtext = fmt(value, args.precision, None)
    if args.json:
        payload = [
            {
                "value": value,
                "from": src,
                "to": dst,
                "result": r,
                "text": fmt(r, args.precision, args.decimals),
            }
            for _t, dst, r in results
        ]
        print(json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False))
        return 0
    for _t, dst, r in results:
        text = fmt(r, args.precision, args.decimals)
        print(text if args.value_only else f"{vtext} {src} = {text} {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
