//! Key tables that number a trace's keys 0, 1, 2... in order of first appearance, and grow as
//! keys come: [`Names`] for text keys, [`Ids`] for 64-bit object ids. Open addressing over one
//! array of slots, the keys' bytes in one arena: no allocation per key (a `HashMap` of boxed
//! keys cost a heap block per key and a fifth of a replay's instructions), and 24 to 32 bytes
//! plus the key's own bytes per text key, 16 to 24 per object id. The tables are only looked up,
//! never iterated: the hash reaches no output, only the order of first appearance does.

/// Slots kept at most this full (numerator over 8): 4/8.
const LOAD_EIGHTHS: usize = 4;

/// A hash of a key's bytes: eight bytes at a time through a multiply, then mixed
/// (MurmurHash3's finaliser) so that the low bits, which pick the slot, carry every byte.
#[inline]
fn hash_bytes(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = (h.rotate_left(23) ^ word(c)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        h = (h.rotate_left(23) ^ tail(rest)).wrapping_mul(K);
    }
    mix(h)
}

/// Eight bytes as a little-endian word.
#[inline]
fn word(c: &[u8]) -> u64 {
    u64::from_le_bytes(c.try_into().expect("eight bytes"))
}

/// The 1 to 7 bytes of `rest` as the low bytes of a word, the others 0: read as two
/// overlapping loads (of 4, 2 or 1 bytes) instead of byte by byte.
#[inline]
fn tail(rest: &[u8]) -> u64 {
    let n = rest.len();
    debug_assert!((1..8).contains(&n));
    let (lo, hi) = if n >= 4 {
        let a = u32::from_le_bytes(rest[..4].try_into().expect("four bytes")) as u64;
        let b = u32::from_le_bytes(rest[n - 4..].try_into().expect("four bytes")) as u64;
        (a, b << (8 * (n - 4)))
    } else if n >= 2 {
        let a = u16::from_le_bytes(rest[..2].try_into().expect("two bytes")) as u64;
        let b = u16::from_le_bytes(rest[n - 2..].try_into().expect("two bytes")) as u64;
        (a, b << (8 * (n - 2)))
    } else {
        (rest[0] as u64, 0)
    };
    // The overlap holds the same bytes in both: or-ing keeps them.
    lo | hi
}

/// MurmurHash3's 64-bit finaliser.
#[inline]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Whether two keys are the same bytes: word by word (no call to `memcmp` for a short key).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        if word(p) != word(q) {
            return false;
        }
    }
    let (p, q) = (x.remainder(), y.remainder());
    p.is_empty() || tail(p) == tail(q)
}

/// Slots of an open-addressing table: each holds a key's number plus one (0: empty).
#[derive(Clone, Debug, Default)]
struct Slots {
    slots: Vec<u32>,
}

impl Slots {
    /// Whether `count` keys (one more coming) need a larger table.
    #[inline]
    fn full(&self, count: usize) -> bool {
        (count + 1) * 8 > self.slots.len() * LOAD_EIGHTHS
    }

    /// A table of twice the slots (at least 1,024), refilled from each key's hash.
    fn grown(&self, count: usize, hash_of: impl Fn(usize) -> u64) -> Slots {
        let len = (self.slots.len() * 2).max(1024);
        let mut slots = vec![0u32; len];
        let mask = len - 1;
        for id in 0..count {
            let mut i = hash_of(id) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = id as u32 + 1;
        }
        Slots { slots }
    }
}

/// Text keys numbered in order of first appearance.
#[derive(Clone, Debug, Default)]
pub(super) struct Names {
    slots: Slots,
    /// Each key's hash and where its bytes are in `bytes`, by number.
    keys: Vec<Named>,
    bytes: Vec<u8>,
}

/// A numbered key: its whole hash, and where its bytes are.
#[derive(Clone, Copy, Debug)]
struct Named {
    hash: u64,
    /// The key's first byte in `bytes` (high 40 bits) and its length (low 24 bits: a key is
    /// shorter than a record, at most 16 MiB).
    at: u64,
}

/// Bits of [`Named::at`] holding the length.
const LEN_BITS: u32 = 24;

impl Named {
    #[inline]
    fn len(&self) -> usize {
        (self.at & ((1 << LEN_BITS) - 1)) as usize
    }

    #[inline]
    fn start(&self) -> usize {
        (self.at >> LEN_BITS) as usize
    }
}

impl Names {
    /// Keys numbered so far.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.keys.len()
    }

    /// The number of `key`: its own if seen before, else the next one.
    ///
    /// Of two keys of at most eight bytes and the same length, equal hashes mean equal keys
    /// ([`hash_bytes`] is a bijection of such a key's word), so only longer keys compare bytes.
    #[inline]
    pub(super) fn number(&mut self, key: &[u8]) -> u64 {
        if self.slots.full(self.len()) {
            self.grow();
        }
        let h = hash_bytes(key);
        let mask = self.slots.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let s = self.slots.slots[i];
            if s == 0 {
                break;
            }
            let id = (s - 1) as usize;
            let named = self.keys[id];
            if named.hash == h
                && named.len() == key.len()
                && (key.len() <= 8
                    || same(&self.bytes[named.start()..named.start() + key.len()], key))
            {
                return id as u64;
            }
            i = (i + 1) & mask;
        }
        self.add(i, h, key)
    }

    /// Numbers `key`, new, of hash `h`, in the empty slot `i`.
    #[inline]
    fn add(&mut self, i: usize, h: u64, key: &[u8]) -> u64 {
        let id = self.len();
        self.slots.slots[i] = id as u32 + 1;
        self.keys.push(Named {
            hash: h,
            at: (self.bytes.len() as u64) << LEN_BITS | key.len() as u64,
        });
        self.bytes.extend_from_slice(key);
        id as u64
    }

    #[cold]
    fn grow(&mut self) {
        self.slots = self.slots.grown(self.len(), |id| self.keys[id].hash);
    }
}

/// 64-bit object ids numbered 0, 1, 2... (`u32`) in order of first appearance.
#[derive(Clone, Debug, Default)]
pub(super) struct Ids {
    slots: Slots,
    /// Each id, by number.
    ids: Vec<u64>,
}

impl Ids {
    /// Ids numbered so far.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The number of `id` and whether it is new (numbered now).
    #[inline]
    pub(super) fn number(&mut self, id: u64) -> (u32, bool) {
        if self.slots.full(self.len()) {
            self.slots = self.slots.grown(self.len(), |n| mix(self.ids[n]));
        }
        let mask = self.slots.slots.len() - 1;
        let mut i = mix(id) as usize & mask;
        loop {
            let s = self.slots.slots[i];
            if s == 0 {
                break;
            }
            if self.ids[(s - 1) as usize] == id {
                return (s - 1, false);
            }
            i = (i + 1) & mask;
        }
        let n = self.len() as u32;
        self.slots.slots[i] = n + 1;
        self.ids.push(id);
        (n, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_numbered_in_order_of_first_appearance_through_growth() {
        let mut names = Names::default();
        // Enough keys to grow the table several times; keys that share prefixes, lengths
        // across the eight-byte chunks, and the empty key.
        let keys: Vec<Vec<u8>> = (0..20_000u32)
            .map(|i| format!("user:{}:{}", i % 7, i).into_bytes())
            .chain([Vec::new(), b"x".to_vec(), b"12345678".to_vec()])
            .collect();
        for (n, k) in keys.iter().enumerate() {
            assert_eq!(names.number(k), n as u64);
        }
        for (n, k) in keys.iter().enumerate().rev() {
            assert_eq!(
                names.number(k),
                n as u64,
                "{:?}",
                String::from_utf8_lossy(k)
            );
        }
        assert_eq!(names.len(), keys.len());
        // Bytes that differ only past the first chunk, or only in length, are different keys.
        assert_ne!(names.number(b"12345678a"), names.number(b"12345678"));
        assert_ne!(names.number(b"x\0"), names.number(b"x"));
    }

    #[test]
    fn ids_are_numbered_in_order_of_first_appearance_through_growth() {
        let mut ids = Ids::default();
        // Ids spaced by a power of two: a table indexed by the raw low bits would pile them up.
        let all: Vec<u64> = (0..10_000u64)
            .map(|i| i << 20)
            .chain([0, u64::MAX])
            .collect();
        let mut want = Vec::new();
        for &id in &all {
            let (n, new) = ids.number(id);
            if new {
                want.push(id);
            }
            assert_eq!(want[n as usize], id);
        }
        assert_eq!(ids.len(), 10_001);
        assert_eq!(ids.number(u64::MAX), (10_000, false));
        assert_eq!(ids.number(0), (0, false));
    }
}
