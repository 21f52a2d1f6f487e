#!/usr/bin/env python3
"""Independent reference for seqmodels' RNG (src/rng.rs): xoshiro256** seeded
by SplitMix64, written from the published algorithm (Blackman & Vigna 2018)
with Python integers. Prints the values that tests/rng.rs checks.

    python3 data/reference/rng_reference.py
"""
M = (1 << 64) - 1


def splitmix64_state(seed):
    x = seed
    s = []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & M
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        s.append(z ^ (z >> 31))
    return s


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


class Xoshiro:
    def __init__(self, seed):
        self.s = splitmix64_state(seed)

    def next_u64(self):
        s = self.s
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def next_f64(self):
        return (self.next_u64() >> 11) * (1.0 / (1 << 53))

    def below(self, n):
        zone = (M // n) * n
        while True:
            x = self.next_u64()
            if x < zone:
                return x % n


if __name__ == "__main__":
    print("splitmix64(0) first state word:", hex(splitmix64_state(0)[0]))
    r = Xoshiro(42)
    print("seed 42 next_u64 x4:", [hex(r.next_u64()) for _ in range(4)])
    r = Xoshiro(42)
    print("seed 42 next_f64 x3:", [repr(r.next_f64()) for _ in range(3)])
    r = Xoshiro(7)
    print("seed 7 below(10) x8:", [r.below(10) for _ in range(8)])
    r = Xoshiro(7)
    xs = list(range(10))
    for i in range(len(xs) - 1, 0, -1):
        j = r.below(i + 1)
        xs[i], xs[j] = xs[j], xs[i]
    print("seed 7 shuffle(0..10):", xs)
