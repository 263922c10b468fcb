//! xorshift64*: a small seeded generator, so that the soak and the property tests draw
//! the same inputs on every run.

pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Up to `most` bytes drawn mostly from `alphabet` (the interesting ones), sometimes
    /// from anywhere.
    pub fn bytes(&mut self, alphabet: &[u8], most: usize) -> Vec<u8> {
        let length = self.below(most as u64 + 1) as usize;
        (0..length)
            .map(|_| {
                let pick = self.next_u64();
                if pick.is_multiple_of(8) {
                    (pick >> 8) as u8
                } else {
                    alphabet[(pick >> 8) as usize % alphabet.len()]
                }
            })
            .collect()
    }
}
