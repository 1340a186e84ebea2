"""The model of benches/compare/model.toml as a plain Python event loop over heapq.

Times are integer nanoseconds; keys come from a Vose alias table, as in tight/src/main.rs.
Usage: python3 heapq_loop.py SEED   (prints requests, hits, db_queries, hit_ratio, p99_ms)
"""

import heapq
import math
import random
import sys
from collections import deque

RATE = 20_000.0  # requests per second
DURATION = 60_000_000_000  # ns
KEYS = 100_000
ZIPF_S = 0.9
TTL = 30_000_000_000  # ns
CACHE_LATENCY = 500_000  # ns
SLOTS = 8
DB_MEAN = 500_000.0  # ns

ARRIVAL, CACHE_REPLY, DB_DONE = 0, 1, 2


def alias_table(weights):
    n = len(weights)
    total = sum(weights)
    scaled = [w * n / total for w in weights]
    prob = [1.0] * n
    alias = list(range(n))
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s = small.pop()
        l = large[-1]
        prob[s] = scaled[s]
        alias[s] = l
        scaled[l] -= 1.0 - scaled[s]
        if scaled[l] < 1.0:
            large.pop()
            small.append(l)
    return prob, alias


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    arrivals = random.Random(seed * 4 + 1)
    keys = random.Random(seed * 4 + 2)
    service = random.Random(seed * 4 + 3)
    prob, alias = alias_table([i ** -ZIPF_S for i in range(1, KEYS + 1)])
    expires = [0] * KEYS
    latencies = []
    heap = []
    queue = deque()
    seq = 0
    busy = requests = hits = queries = 0
    mean_gap = 1e9 / RATE
    push = heapq.heappush
    pop = heapq.heappop
    rand_key = keys.random
    log = math.log

    def exp(rng, mean):
        return round(-mean * log(1.0 - rng.random()))

    push(heap, (exp(arrivals, mean_gap), 0, ARRIVAL, 0, 0))
    while heap:
        now, _, kind, key, start = pop(heap)
        if kind == ARRIVAL:
            requests += 1
            u = rand_key() * KEYS
            column = int(u)
            key = column if u - column < prob[column] else alias[column]
            seq += 1
            push(heap, (now + CACHE_LATENCY, seq, CACHE_REPLY, key, now))
            nxt = now + exp(arrivals, mean_gap)
            if nxt < DURATION:
                seq += 1
                push(heap, (nxt, seq, ARRIVAL, 0, 0))
        elif kind == CACHE_REPLY:
            if expires[key] > now:
                hits += 1
                latencies.append(now - start)
            else:
                queries += 1
                if busy < SLOTS:
                    busy += 1
                    seq += 1
                    push(heap, (now + exp(service, DB_MEAN), seq, DB_DONE, key, start))
                else:
                    queue.append((key, start))
        else:
            expires[key] = now + TTL
            latencies.append(now - start)
            if queue:
                key, start = queue.popleft()
                seq += 1
                push(heap, (now + exp(service, DB_MEAN), seq, DB_DONE, key, start))
            else:
                busy -= 1
    latencies.sort()
    p99 = latencies[max(0, math.ceil(0.99 * len(latencies)) - 1)]
    print(f"requests {requests}")
    print(f"hits {hits}")
    print(f"db_queries {queries}")
    print(f"hit_ratio {hits / requests:.6f}")
    print(f"p99_ms {p99 / 1e6:.4f}")


if __name__ == "__main__":
    main()
