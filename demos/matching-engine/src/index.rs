//! Order id -> slot index map with preallocated open addressing.
//!
//! Linear probing over a power-of-two table kept at most half full, with
//! Fibonacci hashing (ids are often sequential, which this spreads well) and
//! backward-shift deletion, so there are no tombstones and probe lengths stay
//! short forever. It is only ever probed, never iterated.

use crate::slab::NIL;
use crate::types::OrderId;

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: u64,
    /// Slot index, or `NIL` for an empty bucket.
    value: u32,
}

const EMPTY: Entry = Entry { key: 0, value: NIL };

#[derive(Debug, Clone)]
pub(crate) struct OrderIndex {
    entries: Vec<Entry>,
    mask: usize,
    shift: u32,
    len: usize,
}

impl OrderIndex {
    /// A table for up to `capacity` keys.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let buckets = capacity.saturating_mul(2).max(8).next_power_of_two();
        OrderIndex {
            entries: vec![EMPTY; buckets],
            mask: buckets - 1,
            shift: 64 - buckets.trailing_zeros(),
            len: 0,
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn find(&self, key: u64) -> Option<usize> {
        let mut bucket = self.home(key);
        loop {
            let entry = self.entries[bucket];
            if entry.value == NIL {
                return None;
            }
            if entry.key == key {
                return Some(bucket);
            }
            bucket = (bucket + 1) & self.mask;
        }
    }

    #[inline]
    pub(crate) fn get(&self, id: OrderId) -> Option<u32> {
        self.find(id.0).map(|bucket| self.entries[bucket].value)
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Inserts a key that is not present. The engine never holds more keys
    /// than slab slots, so the table cannot fill up.
    #[inline]
    pub(crate) fn insert(&mut self, id: OrderId, value: u32) {
        debug_assert!(self.find(id.0).is_none());
        debug_assert!(self.len < self.entries.len());
        let mut bucket = self.home(id.0);
        while self.entries[bucket].value != NIL {
            bucket = (bucket + 1) & self.mask;
        }
        self.entries[bucket] = Entry { key: id.0, value };
        self.len += 1;
    }

    #[inline]
    pub(crate) fn remove(&mut self, id: OrderId) -> Option<u32> {
        let mut hole = self.find(id.0)?;
        let removed = self.entries[hole].value;
        // Pull later members of the probe run back over the hole whenever
        // their home bucket does not lie strictly between hole and them.
        let mut bucket = (hole + 1) & self.mask;
        loop {
            let entry = self.entries[bucket];
            if entry.value == NIL {
                break;
            }
            let home = self.home(entry.key);
            let distance_from_home = bucket.wrapping_sub(home) & self.mask;
            let distance_from_hole = bucket.wrapping_sub(hole) & self.mask;
            if distance_from_home >= distance_from_hole {
                self.entries[hole] = entry;
                hole = bucket;
            }
            bucket = (bucket + 1) & self.mask;
        }
        self.entries[hole] = EMPTY;
        self.len -= 1;
        Some(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::OrderIndex;
    use crate::types::OrderId;

    #[test]
    fn insert_get_remove_with_colliding_keys() {
        let mut index = OrderIndex::with_capacity(64);
        // Multiples of a large power of two collide under Fibonacci hashing
        // far more than sequential ids do, exercising long probe runs.
        let keys: Vec<u64> = (0..64).map(|k| k << 40).collect();
        for (value, &key) in keys.iter().enumerate() {
            index.insert(OrderId(key), value as u32);
        }
        assert_eq!(index.len(), 64);
        for (value, &key) in keys.iter().enumerate() {
            assert_eq!(index.get(OrderId(key)), Some(value as u32));
        }
        for &key in keys.iter().step_by(2) {
            assert!(index.remove(OrderId(key)).is_some());
        }
        for (value, &key) in keys.iter().enumerate() {
            let expected = (value % 2 == 1).then_some(value as u32);
            assert_eq!(index.get(OrderId(key)), expected, "key {key}");
        }
        assert_eq!(index.remove(OrderId(12345)), None);
        assert_eq!(index.len(), 32);
    }
}
