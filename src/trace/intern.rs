//! Key tables that number a trace's keys 0, 1, 2... in order of first appearance, and grow as
//! keys come: [`Names`] for text keys, [`Ids`] for 64-bit object ids. Open addressing over one
//! array of slots, the keys' bytes in one arena: no allocation per key (a `HashMap` of boxed
//! keys cost a heap block per key and a fifth of a replay's instructions), and about
//! `16 + key bytes` bytes per text key, `24` per object id. The tables are only looked up,
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
        let w = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        h = (h.rotate_left(23) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // The last bytes as the low bytes of a word (no copy through a buffer).
        let mut last = 0u64;
        for (i, &b) in rest.iter().enumerate() {
            last |= (b as u64) << (8 * i);
        }
        h = (h.rotate_left(23) ^ last).wrapping_mul(K);
    }
    mix(h)
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
        let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().expect("eight bytes"));
        if word(p) != word(q) {
            return false;
        }
    }
    x.remainder().iter().zip(y.remainder()).all(|(p, q)| p == q)
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
    /// Each key's hash's low 32 bits, by number (a mismatch skips comparing bytes).
    hashes: Vec<u32>,
    /// Where each key's bytes end in `bytes`, by number (a key starts where the one before
    /// it ends).
    ends: Vec<u64>,
    bytes: Vec<u8>,
}

impl Names {
    /// Keys numbered so far.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    fn key(&self, id: usize) -> &[u8] {
        let start = if id == 0 { 0 } else { self.ends[id - 1] };
        &self.bytes[start as usize..self.ends[id] as usize]
    }

    /// The number of `key`: its own if seen before, else the next one.
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
            if self.hashes[id] == h as u32 && same(self.key(id), key) {
                return id as u64;
            }
            i = (i + 1) & mask;
        }
        let id = self.len();
        self.slots.slots[i] = id as u32 + 1;
        self.hashes.push(h as u32);
        self.bytes.extend_from_slice(key);
        self.ends.push(self.bytes.len() as u64);
        id as u64
    }

    #[cold]
    fn grow(&mut self) {
        // The stored 32 bits are not the whole hash: rehash the bytes.
        self.slots = self.slots.grown(self.len(), |id| hash_bytes(self.key(id)));
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
