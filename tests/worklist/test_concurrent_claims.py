"""1,000 concurrent claim attempts on 100 items from 10 processes: each item claimed exactly once."""

from __future__ import annotations

import multiprocessing as mp
import random
from collections import Counter

from worklist import ItemEntry, Worklist

N_ITEMS = 100
N_PROCS = 10  # each tries every item once, in its own random order: 1,000 attempts


def _claimer(url: str, reader: str, ids: list[int], barrier, out) -> None:
    wl = Worklist.open(url)
    order = list(ids)
    random.Random(reader).shuffle(order)
    barrier.wait()
    won = [i for i in order if wl.try_claim(i, reader)]
    wl.dispose()
    out.put((reader, won))


def test_each_item_claimed_exactly_once(db_url: str):
    wl = Worklist.open(db_url)
    created = wl.upsert([ItemEntry(natural_key=f"lab:{i}", specialty="laboratory", priority="urgent") for i in range(N_ITEMS)])
    ids = [i for i, _ in created]
    wl.dispose()

    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(N_PROCS), ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(db_url, f"reader-{k}", ids, barrier, out)) for k in range(N_PROCS)]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    wins = Counter(i for won in results.values() for i in won)
    assert sorted(wins) == sorted(ids)  # every item claimed ...
    assert set(wins.values()) == {1}  # ... exactly once
    wl = Worklist.open(db_url)
    for item in wl.queue():
        assert item.state == "in_progress"
        assert item.id in results[item.claimed_by]  # the DB agrees with who won
    wl.dispose()
