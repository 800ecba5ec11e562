//! The root-word dictionary the confix-stripping rules are checked against.
//!
//! Two embedded lists make it up: `roots-id.txt` (the Hunspell Indonesian word list's
//! stems, LGPL-3.0, see `SOURCE.md`) and `roots-id-extra.txt` (this project's own
//! additions). A stripping step counts only when it lands on a word of this set, so the
//! set decides both what gets stemmed and what is protected from it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

const ROOTS: &str = include_str!("roots-id.txt");
const EXTRA_ROOTS: &str = include_str!("roots-id-extra.txt");

/// The set is built once, on first use (about 29,000 entries, a few milliseconds).
/// Lines of the extra list starting with `-` withdraw a root of the main list.
static DICTIONARY: LazyLock<HashMap<&'static [u8], &'static [u8], BuildHasherDefault<FxHasher>>> =
    LazyLock::new(|| {
        let mut map: HashMap<_, _, _> = ROOTS.lines().filter_map(entry).collect();
        // The project's own roots carry no flags; they may take any affix.
        map.extend(EXTRA_ROOTS.lines().filter_map(entry).map(|(w, _)| (w, ANY)));
        for withdrawn in EXTRA_ROOTS
            .lines()
            .filter_map(|l| l.trim().strip_prefix('-'))
        {
            map.remove(withdrawn.as_bytes());
        }
        map
    });

/// A list line as a dictionary entry (word, Hunspell flags): comments (`#`) and blank
/// lines are skipped, and only plain lower-case ASCII words count, since the stemmer
/// only ever looks those up.
fn entry(line: &'static str) -> Option<(&'static [u8], &'static [u8])> {
    let mut fields = line.split_whitespace();
    let word = fields.next()?;
    let flags = fields.next().unwrap_or_default();
    let plain = word.bytes().all(|b| b.is_ascii_lowercase());
    plain.then_some((word.as_bytes(), flags.as_bytes()))
}

/// The flags of a root that may take any affix.
const ANY: &[u8] = b"*";

/// Whether `word` (lower-case ASCII letters) is a known root.
pub(crate) fn contains(word: &[u8]) -> bool {
    DICTIONARY.contains_key(word)
}

/// Whether the root `word` takes the prefix family `family` (a Hunspell flag class:
/// `B` ber-, `D` di-, `K` ke-, `M` me-, `P` pe-, `R` per-, `S` se-, `T` ter-) with the
/// suffix `suffix` (`0` none, `a` -an, `i` -i, `k` -kan; `None` for any). The Hunspell
/// list names its flags that way: first letter the prefix, second the suffix.
pub(crate) fn takes(word: &[u8], family: u8, suffix: Option<u8>) -> bool {
    let Some(&flags) = DICTIONARY.get(word) else {
        return false;
    };
    flags == ANY
        || flags
            .chunks_exact(2)
            .any(|f| f.first() == Some(&family) && suffix.is_none_or(|s| f.get(1) == Some(&s)))
}

/// How many roots the dictionary holds.
#[cfg(test)]
pub(crate) fn len() -> usize {
    DICTIONARY.len()
}

/// FxHash (as used inside rustc): a multiply-rotate hash that is several times faster
/// than SipHash on short keys. The keys are a fixed word list and lookups cannot grow
/// the table, so hash flooding is no concern here.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
