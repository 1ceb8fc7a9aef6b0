"""`python -m bench NAME [options]` runs one benchmark; `python -m bench all` runs each
with its default sizes. Each prints a table and, as its last line, `RESULT {json}`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import traceback
from collections.abc import Sequence

from bench import BENCHMARKS


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    names = top.add_subparsers(dest="name", required=True, metavar="NAME")
    for name, module in BENCHMARKS.items():
        sub = names.add_parser(name, help=(module.__doc__ or "").split("\n")[0])
        module.options(sub)
    names.add_parser("all", help="every benchmark, one after the other")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.name != "all":
        asyncio.run(BENCHMARKS[args.name].run(args))
        return 0
    failed = []
    for name, module in BENCHMARKS.items():
        sub = argparse.ArgumentParser()
        module.options(sub)
        try:
            asyncio.run(module.run(sub.parse_args([])))
        except Exception:  # the others still run; the exit code says something failed
            traceback.print_exc()
            failed.append(name)
    if failed:
        print(f"failed: {' '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
