"""`python -m bench NAME [options]` runs one benchmark; `python -m bench all` runs each
with its default sizes. Each prints a table and, as its last line, `RESULT {json}`."""

from __future__ import annotations

import argparse
import asyncio
import sys
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
    chosen = list(BENCHMARKS) if args.name == "all" else [args.name]
    for name in chosen:
        module = BENCHMARKS[name]
        if args.name == "all":
            sub = argparse.ArgumentParser()
            module.options(sub)
            asyncio.run(module.run(sub.parse_args([])))
        else:
            asyncio.run(module.run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
