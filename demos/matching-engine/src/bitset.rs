//! Fixed-size bitset of non-empty price levels.
//!
//! When the best level empties, the next best is found by scanning 64 levels
//! per word (`trailing_zeros`/`leading_zeros`) instead of visiting levels one
//! by one; near the touch the next level is almost always in the same word.

#[derive(Debug, Clone)]
pub(crate) struct LevelBitset {
    words: Vec<u64>,
    len: usize,
}

impl LevelBitset {
    pub(crate) fn new(len: usize) -> Self {
        LevelBitset {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    #[inline]
    pub(crate) fn insert(&mut self, index: usize) {
        self.words[index / 64] |= 1 << (index % 64);
    }

    #[inline]
    pub(crate) fn remove(&mut self, index: usize) {
        self.words[index / 64] &= !(1 << (index % 64));
    }

    #[inline]
    pub(crate) fn contains(&self, index: usize) -> bool {
        index < self.len && self.words[index / 64] & (1 << (index % 64)) != 0
    }

    /// Smallest set index `>= from`.
    #[inline]
    pub(crate) fn first_at_or_above(&self, from: usize) -> Option<usize> {
        if from >= self.len {
            return None;
        }
        let mut word = from / 64;
        let mut bits = self.words[word] & (u64::MAX << (from % 64));
        loop {
            if bits != 0 {
                return Some(word * 64 + bits.trailing_zeros() as usize);
            }
            word += 1;
            if word == self.words.len() {
                return None;
            }
            bits = self.words[word];
        }
    }

    /// Largest set index `<= from` (`from` is clamped to the last index).
    #[inline]
    pub(crate) fn last_at_or_below(&self, from: usize) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let from = from.min(self.len - 1);
        let mut word = from / 64;
        let mut bits = self.words[word] & (u64::MAX >> (63 - from % 64));
        loop {
            if bits != 0 {
                return Some(word * 64 + 63 - bits.leading_zeros() as usize);
            }
            if word == 0 {
                return None;
            }
            word -= 1;
            bits = self.words[word];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LevelBitset;

    #[test]
    fn finds_neighbours_across_words() {
        let mut set = LevelBitset::new(200);
        for index in [0, 63, 64, 130, 199] {
            set.insert(index);
        }
        assert_eq!(set.first_at_or_above(1), Some(63));
        assert_eq!(set.first_at_or_above(65), Some(130));
        assert_eq!(set.first_at_or_above(200), None);
        assert_eq!(set.last_at_or_below(129), Some(64));
        assert_eq!(set.last_at_or_below(62), Some(0));
        assert_eq!(set.last_at_or_below(10_000), Some(199));
        set.remove(0);
        assert_eq!(set.last_at_or_below(62), None);
        assert!(set.contains(63) && !set.contains(0) && !set.contains(500));
    }
}
