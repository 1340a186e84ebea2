"""The model of benches/compare/model.toml in SimPy: each request is a process, the database
a Resource of 8 slots (FIFO). Times are float seconds, as SimPy's clock is.

Needs SimPy (pip install simpy); without it, prints a message and exits with status 3.
Usage: python3 simpy_model.py SEED   (prints requests, hits, db_queries, hit_ratio, p99_ms)
"""

import math
import random
import sys

try:
    import simpy
except ImportError:
    print("simpy is not installed (pip install simpy): skipped", file=sys.stderr)
    sys.exit(3)

RATE = 20_000.0  # requests per second
DURATION = 60.0  # s
KEYS = 100_000
ZIPF_S = 0.9
TTL = 30.0  # s
CACHE_LATENCY = 0.0005  # s
SLOTS = 8
DB_MEAN = 0.0005  # s


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


class Model:
    def __init__(self, seed):
        self.env = simpy.Environment()
        self.db = simpy.Resource(self.env, capacity=SLOTS)
        self.arrivals = random.Random(seed * 4 + 1)
        self.keys = random.Random(seed * 4 + 2)
        self.service = random.Random(seed * 4 + 3)
        self.prob, self.alias = alias_table([i ** -ZIPF_S for i in range(1, KEYS + 1)])
        self.expires = [-1.0] * KEYS
        self.latencies = []
        self.requests = self.hits = self.queries = 0

    def source(self):
        env = self.env
        while True:
            yield env.timeout(self.arrivals.expovariate(RATE))
            if env.now >= DURATION:
                return
            self.requests += 1
            u = self.keys.random() * KEYS
            column = int(u)
            key = column if u - column < self.prob[column] else self.alias[column]
            env.process(self.request(key))

    def request(self, key):
        env = self.env
        start = env.now
        yield env.timeout(CACHE_LATENCY)
        if self.expires[key] > env.now:
            self.hits += 1
        else:
            self.queries += 1
            with self.db.request() as slot:
                yield slot
                yield env.timeout(self.service.expovariate(1.0 / DB_MEAN))
            self.expires[key] = env.now + TTL
        self.latencies.append(env.now - start)


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    m = Model(seed)
    m.env.process(m.source())
    m.env.run()
    m.latencies.sort()
    p99 = m.latencies[max(0, math.ceil(0.99 * len(m.latencies)) - 1)]
    print(f"requests {m.requests}")
    print(f"hits {m.hits}")
    print(f"db_queries {m.queries}")
    print(f"hit_ratio {m.hits / m.requests:.6f}")
    print(f"p99_ms {p99 * 1e3:.4f}")


if __name__ == "__main__":
    main()
