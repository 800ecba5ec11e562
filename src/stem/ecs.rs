//! Enhanced Confix Stripping (ECS) for one Indonesian word.
//!
//! The algorithm is Nazief and Adriani's (1996) dictionary-checked affix removal as
//! extended by Jelita Asian (2007, "Effective Techniques for Indonesian Text Retrieval":
//! confix stripping, the precedence adjustment, the modified prefix rules 12/16/19/27/29
//! and the added rules 35–36) and by Arifin, Mahendra and Ciptaningtyas (2009, "Enhanced
//! Confix Stripping Stemmer": loop-last-return, rules for `mempe-`, `memp-`, `peng-C`)
//! plus the infix rules (`-er-`, `-el-`, `-em-`, `-in-`) used by Sastrawi. The shape of
//! the search follows Sastrawi's published behaviour; the code is this project's own.
//!
//! Every step is checked against the root dictionary, and a word whose search ends off
//! the dictionary is returned unchanged: a wrong guess can only ever be another real
//! root, never a truncated non-word.
//!
//! Deliberate departures from Sastrawi, and why:
//! - **No `ku-`/`kau-` prefixes** (Sastrawi's rules 41–42): they are rare in news prose,
//!   and they turn regional abbreviations into unrelated roots (`kutim` → `tim`).
//! - **No foreign suffixes `-is`/`-isme`/`-isasi`**: `-is` ends too many roots
//!   (`menulis` → `menul…`, `melukis` → `luk`), and `sosialisasi` is a word of its own in
//!   news usage, not a form of `sosial`.
//! - **Confix restrictions are enforced** (Asian's disallowed prefix–suffix pairs `be-…-i`,
//!   `di-…-an`, `ke-…-i`, `ke-…-kan`, `me-…-an`, `se-…-i`, `se-…-kan`, `te-…-an`): Sastrawi
//!   leaves them out, and then `dimakan`/`memakan` stem to `mak`.
//! - **Rules 2, 8 and 34 keep their stated conditions** (`C ≠ r`; for 34 also
//!   `C ∉ {w, y, l, m, n}`), which Sastrawi's patterns drop.
//! - **Prefix readings are checked against the Hunspell flags** of the root they land on
//!   (which prefix classes the root takes). That settles the ambiguous recodings that a
//!   plain word list cannot (`pengunjung`: `kunjung`, not `unjung`; `berupa`: `rupa`, not
//!   `upa`) and rejects obscure roots (`pemasukan` is not `pasu`). A second, lenient pass
//!   without that check runs only when the strict one finds nothing (`terdampak`).
//! - **Particles are taken off last**, only when the word has no reading without them.
//! - **Affix removal must leave at least three letters**: the dictionary's one- and
//!   two-letter entries are interjections and letter names.
//! - **A rule with several readings falls back to its last reading** when none is a root,
//!   so `peng-V` keeps being stripped (Sastrawi drops the removal there).

use super::dict;

/// The longest word the stemmer works on; nothing in the dictionary comes close, and a
/// fixed buffer keeps the search free of allocations.
const MAX_LEN: usize = 40;

/// A candidate word in a fixed buffer (lower-case ASCII letters only).
#[derive(Clone, Copy)]
pub(crate) struct Word {
    len: usize,
    buf: [u8; MAX_LEN],
}

impl Word {
    /// `None` when `bytes` is longer than [`MAX_LEN`].
    pub(crate) fn new(bytes: &[u8]) -> Option<Self> {
        Self::joined(b"", bytes)
    }

    /// `head` followed by `tail`: a recoded prefix letter put back before the rest.
    fn joined(head: &[u8], tail: &[u8]) -> Option<Self> {
        let len = head.len() + tail.len();
        let mut buf = [0u8; MAX_LEN];
        buf.get_mut(..head.len())?.copy_from_slice(head);
        buf.get_mut(head.len()..len)?.copy_from_slice(tail);
        Some(Self { len, buf })
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    fn is_root(&self) -> bool {
        dict::contains(self.bytes())
    }

    /// Whether the word, reached by removing affixes, is an acceptable root: in the
    /// dictionary and at least three letters long. The dictionary's one- and
    /// two-letter entries are mostly interjections and letter names, and accepting them
    /// turns `memakan` into `pa`.
    fn is_stem(&self) -> bool {
        self.len >= 3 && self.is_root()
    }

    /// The word without its last `n` letters.
    fn without_suffix(&self, n: usize) -> Self {
        let mut shorter = *self;
        shorter.len = self.len.saturating_sub(n);
        shorter
    }
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

fn is_consonant(b: u8) -> bool {
    b.is_ascii_lowercase() && !is_vowel(b)
}

/// The derivational suffixes; they decide which prefixes may go with them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Derivational {
    I,
    Kan,
    An,
}

/// Which prefix a rule removes, for the confix restrictions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Prefix {
    Be,
    Di,
    Infix,
    Ke,
    Me,
    Pe,
    Per,
    Se,
    Te,
}

impl Prefix {
    /// The Hunspell flag class of the prefix (`0` for infixes, which have none).
    fn flag(self) -> u8 {
        match self {
            Prefix::Be => b'B',
            Prefix::Di => b'D',
            Prefix::Infix => 0,
            Prefix::Ke => b'K',
            Prefix::Me => b'M',
            Prefix::Pe => b'P',
            Prefix::Per => b'R',
            Prefix::Se => b'S',
            Prefix::Te => b'T',
        }
    }
}

/// What is known about the derivational suffix when a prefix comes off.
#[derive(Clone, Copy)]
enum Suffix {
    /// The suffix has not been looked at yet (precedence adjustment).
    Unknown,
    /// This suffix (or none) was removed, or put back.
    Known(Option<Derivational>),
}

impl Suffix {
    /// The Hunspell flag's second letter for this suffix, `None` when unknown.
    fn flag(self) -> Option<u8> {
        match self {
            Suffix::Unknown => None,
            Suffix::Known(None) => Some(b'0'),
            Suffix::Known(Some(Derivational::An)) => Some(b'a'),
            Suffix::Known(Some(Derivational::I)) => Some(b'i'),
            Suffix::Known(Some(Derivational::Kan)) => Some(b'k'),
        }
    }

    fn derivational(self) -> Option<Derivational> {
        match self {
            Suffix::Unknown => None,
            Suffix::Known(d) => d,
        }
    }
}

/// Asian (2007)'s disallowed prefix–suffix pairs: no Indonesian word carries these
/// confixes, so a reading that needs one is wrong. `ketahui` is the one common exception.
fn confix_allowed(prefix: Prefix, suffix: Option<Derivational>, word: &[u8]) -> bool {
    use Derivational::{An, I, Kan};
    match (prefix, suffix) {
        (Prefix::Ke, Some(I)) => word == b"ketahu",
        (Prefix::Be, Some(I))
        | (Prefix::Di, Some(An))
        | (Prefix::Ke, Some(Kan))
        | (Prefix::Me, Some(An))
        | (Prefix::Se, Some(I | Kan))
        | (Prefix::Te, Some(An)) => false,
        _ => true,
    }
}

/// The readings one prefix rule offers for a word, best first.
struct Readings {
    prefix: Prefix,
    words: [Option<Word>; 4],
}

impl Readings {
    fn new(prefix: Prefix, options: &[(&[u8], &[u8])]) -> Self {
        let mut words = [None; 4];
        for (slot, (head, tail)) in words.iter_mut().zip(options) {
            *slot = Word::joined(head, tail);
        }
        Self { prefix, words }
    }

    /// The reading to keep, and whether it is a root that takes the prefix: among those
    /// that are roots taking this prefix by their
    /// Hunspell flags, the one that takes it with this suffix (when known, on the
    /// outermost prefix), earlier readings winning ties; when none qualifies, the last
    /// reading, which later rounds may strip further (it is a root only if later
    /// checks find it one).
    ///
    /// The flags settle the ambiguous recodings: `pengunjung` reads as `pe-kunjung`, not
    /// `peng-unjung`, because only `kunjung` takes `pe-`; `berupa` as `be-rupa`, not
    /// `ber-upa`. They also reject roots that never take the prefix (`pemasukan` is not
    /// `pe-pasu` + `-kan`). Infixes have no flags and accept any root.
    fn choose(&self, suffix: Option<u8>, mode: Mode) -> Option<(Word, bool)> {
        let family = self.prefix.flag();
        let score = |w: &Word| -> Option<u8> {
            if family == 0 || mode == Mode::Lenient && !dict::takes(w.bytes(), family, None) {
                Some(0)
            } else if suffix.is_some() && dict::takes(w.bytes(), family, suffix) {
                Some(2)
            } else {
                dict::takes(w.bytes(), family, None).then_some(1)
            }
        };
        let mut best: Option<(u8, Word)> = None;
        let mut last = None;
        for word in self.words.iter().flatten() {
            last = Some(*word);
            if !word.is_stem() {
                continue;
            }
            if let Some(s) = score(word)
                && best.is_none_or(|(b, _)| s > b)
            {
                best = Some((s, *word));
            }
        }
        best.map(|(_, w)| (w, true)).or(last.map(|w| (w, false)))
    }
}

/// The first prefix rule, in the published order, that applies to `w`.
fn prefix_rule(w: &[u8]) -> Option<Readings> {
    use Prefix::{Be, Di, Infix, Ke, Pe, Se, Te};
    let at = |i: usize| w.get(i).copied().unwrap_or(0);
    let from = |i: usize| w.get(i..).unwrap_or_default();
    let one = |p: Prefix, head: &[u8], i: usize| Some(Readings::new(p, &[(head, from(i))]));

    // Plain prefixes di-, ke-, se-.
    for (p, text) in [(Di, b"di"), (Ke, b"ke"), (Se, b"se")] {
        if w.starts_with(text) {
            return one(p, b"", 2);
        }
    }
    if w.starts_with(b"ber") {
        let (c, a) = (at(3), at(4));
        // 1: berV → ber-V | be-rV.
        if is_vowel(c) {
            return Some(Readings::new(Be, &[(b"", from(3)), (b"r", from(3))]));
        }
        // 2: berCAP → ber-CAP, C ≠ r, P ≠ er…; 3: berCAerV → ber-CAerV, C ≠ r.
        if is_consonant(c) && c != b'r' && a.is_ascii_lowercase() {
            let p = from(5);
            if !p.starts_with(b"er") || is_vowel(at(7)) {
                return one(Be, b"", 3);
            }
        }
    }
    // 4: belajar → bel-ajar.
    if w == b"belajar" {
        return one(Be, b"", 3);
    }
    // 5: beC1erC2 → be-C1erC2, C1 ≠ r.
    if w.starts_with(b"be")
        && is_consonant(at(2))
        && at(2) != b'r'
        && from(3).starts_with(b"er")
        && is_consonant(at(5))
    {
        return one(Be, b"", 2);
    }
    if w.starts_with(b"ter") {
        let c = at(3);
        // 6: terV → ter-V | te-rV.
        if is_vowel(c) {
            return Some(Readings::new(Te, &[(b"", from(3)), (b"r", from(3))]));
        }
        // 7: terCerV → ter-CerV; 8: terCP → ter-CP (C ≠ r, P ≠ er…).
        if is_consonant(c) && c != b'r' && (!from(4).starts_with(b"er") || is_vowel(at(6))) {
            return one(Te, b"", 3);
        }
    }
    // 9: teC1erC2 → te-C1erC2, C1 ≠ r.
    if w.starts_with(b"te")
        && is_consonant(at(2))
        && at(2) != b'r'
        && from(3).starts_with(b"er")
        && is_consonant(at(5))
    {
        return one(Te, b"", 2);
    }
    if w.starts_with(b"me")
        && let Some(readings) = me_rule(w)
    {
        return Some(readings);
    }
    if w.starts_with(b"pe")
        && let Some(readings) = pe_rule(w)
    {
        return Some(readings);
    }
    // 35: terC1erC2 → ter-C1erC2, C1 not a sonorant.
    if w.starts_with(b"ter")
        && b"bcdfghjkpqstvxz".contains(&at(3))
        && from(4).starts_with(b"er")
        && is_consonant(at(6))
    {
        return one(Te, b"", 3);
    }
    // 36: peC1erC2 → pe-C1erC2, C1 not a sonorant.
    if w.starts_with(b"pe")
        && b"bcdfghjkpqstvxz".contains(&at(2))
        && from(3).starts_with(b"er")
        && is_consonant(at(5))
    {
        return one(Pe, b"", 2);
    }
    // 37–40, infixes: C{er,el,em,in}V → C{er,el,em,in}V | CV.
    let c = at(0);
    if is_consonant(c) && is_vowel(at(3)) {
        let infix = from(1).get(..2).unwrap_or_default();
        if matches!(infix, b"er" | b"el" | b"em" | b"in") {
            let head = [c];
            return Some(Readings::new(Infix, &[(b"", w), (&head, from(3))]));
        }
    }
    None
}

/// Rules 10–19, for words starting with `me`.
fn me_rule(w: &[u8]) -> Option<Readings> {
    use Prefix::Me;
    let at = |i: usize| w.get(i).copied().unwrap_or(0);
    let from = |i: usize| w.get(i..).unwrap_or_default();
    let one = |head: &[u8], i: usize| Some(Readings::new(Me, &[(head, from(i))]));
    let two = |a: &[u8], b: &[u8], i: usize| Some(Readings::new(Me, &[(a, from(i)), (b, from(i))]));

    // 10: me{l,r,w,y}V → me-{l,r,w,y}V.
    if matches!(at(2), b'l' | b'r' | b'w' | b'y') && is_vowel(at(3)) {
        return one(b"", 2);
    }
    // 11: mem{b,f,v} → mem-{b,f,v}.
    if at(2) == b'm' && matches!(at(3), b'b' | b'f' | b'v') {
        return one(b"", 3);
    }
    // 12: mempe → mem-pe (mempengaruhi, memperbaiki).
    if w.starts_with(b"mempe") {
        return one(b"", 3);
    }
    // 13: memV → me-mV | me-pV.
    if at(2) == b'm' && is_vowel(at(3)) {
        return two(b"m", b"p", 3);
    }
    // 14: men{c,d,j,s,t,z} → men-{c,d,j,s,t,z}.
    if at(2) == b'n' && matches!(at(3), b'c' | b'd' | b'j' | b's' | b't' | b'z') {
        return one(b"", 3);
    }
    // 15: menV → me-nV | me-tV.
    if at(2) == b'n' && is_vowel(at(3)) {
        return two(b"n", b"t", 3);
    }
    if w.starts_with(b"meng") {
        // 16: meng{g,h,q,k} → meng-{g,h,q,k}.
        if matches!(at(4), b'g' | b'h' | b'q' | b'k') {
            return one(b"", 4);
        }
        // 17: mengV → meng-V | meng-kV | menge-C (monosyllables) | me-ngV.
        if is_vowel(at(4)) {
            let rest = from(4);
            let after_e = if at(4) == b'e' { from(5) } else { rest };
            let options: [(&[u8], &[u8]); 4] =
                [(b"", rest), (b"k", rest), (b"", after_e), (b"ng", rest)];
            return Some(Readings::new(Me, &options));
        }
    }
    // 18: menyV → me-nyV | meny-sV.
    if w.starts_with(b"meny") && is_vowel(at(4)) {
        return two(b"ny", b"s", 4);
    }
    // 19: mempA → mem-pA, A ≠ e.
    if w.starts_with(b"memp") && at(4).is_ascii_lowercase() && at(4) != b'e' {
        return one(b"", 3);
    }
    None
}

/// Rules 20–34, for words starting with `pe`.
fn pe_rule(w: &[u8]) -> Option<Readings> {
    use Prefix::Pe;
    let at = |i: usize| w.get(i).copied().unwrap_or(0);
    let from = |i: usize| w.get(i..).unwrap_or_default();
    let one = |head: &[u8], i: usize| Some(Readings::new(Pe, &[(head, from(i))]));
    let two = |a: &[u8], b: &[u8], i: usize| Some(Readings::new(Pe, &[(a, from(i)), (b, from(i))]));

    // 20: pe{w,y}V → pe-{w,y}V.
    if matches!(at(2), b'w' | b'y') && is_vowel(at(3)) {
        return one(b"", 2);
    }
    if at(2) == b'r' {
        // 21: perV → per-V | pe-rV.
        if is_vowel(at(3)) {
            return Some(Readings::new(
                Prefix::Per,
                &[(b"", from(3)), (b"", from(2))],
            ));
        }
        // 23: perCAP → per-CAP (P ≠ er…); 24: perCAerV → per-CAerV; C ≠ r.
        let (c, a) = (at(3), at(4));
        if is_consonant(c)
            && c != b'r'
            && a.is_ascii_lowercase()
            && (!from(5).starts_with(b"er") || is_vowel(at(7)))
        {
            return Some(Readings::new(Prefix::Per, &[(b"", from(3))]));
        }
    }
    // 25: pem{b,f,v} → pem-{b,f,v}.
    if at(2) == b'm' && matches!(at(3), b'b' | b'f' | b'v') {
        return one(b"", 3);
    }
    // 26: pemV → pe-mV | pe-pV.
    if at(2) == b'm' && is_vowel(at(3)) {
        return two(b"m", b"p", 3);
    }
    // 27: pen{c,d,j,s,t,z} → pen-{c,d,j,s,t,z}.
    if at(2) == b'n' && matches!(at(3), b'c' | b'd' | b'j' | b's' | b't' | b'z') {
        return one(b"", 3);
    }
    // 28: penV → pe-nV | pe-tV.
    if at(2) == b'n' && is_vowel(at(3)) {
        return two(b"n", b"t", 3);
    }
    if w.starts_with(b"peng") {
        // 29: pengC → peng-C.
        if is_consonant(at(4)) {
            return one(b"", 4);
        }
        // 30: pengV → peng-V | peng-kV | penge-C (monosyllables).
        if is_vowel(at(4)) {
            let rest = from(4);
            if at(4) == b'e' {
                let options: [(&[u8], &[u8]); 3] = [(b"", rest), (b"k", rest), (b"", from(5))];
                return Some(Readings::new(Pe, &options));
            }
            return two(b"", b"k", 4);
        }
    }
    // 31: penyV → pe-nyV | peny-sV.
    if w.starts_with(b"peny") && is_vowel(at(4)) {
        return two(b"ny", b"s", 4);
    }
    // 32: pelV → pe-lV, except pelajar → pel-ajar.
    if w == b"pelajar" {
        return one(b"", 3);
    }
    if at(2) == b'l' && is_vowel(at(3)) {
        return one(b"", 2);
    }
    // 34: peCP → pe-CP, C ∉ {r, w, y, l, m, n}, P ≠ er….
    let c = at(2);
    if is_consonant(c) && !b"rwylmn".contains(&c) && !from(3).starts_with(b"er") {
        return one(b"", 2);
    }
    None
}

/// A suffix removed on the way, kept for loop-last-return.
#[derive(Clone, Copy)]
struct SuffixRemoval {
    before: Word,
    after: Word,
    derivational: Option<Derivational>,
}

/// The root of `w` by ECS, or `None` when no sequence of removals reaches the dictionary.
/// `w` holds lower-case ASCII letters only.
///
/// Particles (`-lah`, `-kah`, `-tah`, `-pun`) are only taken off when the word has no
/// reading without them: many roots end in those letters, and stripping them first can
/// land on a stray short root (`pemerintah` → `pemerin` → `perin`).
pub(crate) fn stem(w: &Word) -> Option<Word> {
    if w.is_root() {
        return Some(*w);
    }
    if w.bytes().len() <= 3 {
        return None;
    }
    let has_particle = SUFFIXES[0].iter().any(|(s, _)| w.bytes().ends_with(s));
    [Mode::Strict, Mode::Lenient].into_iter().find_map(|mode| {
        search(w, false, mode).or_else(|| {
            if has_particle {
                search(w, true, mode)
            } else {
                None
            }
        })
    })
}

/// How prefix readings are checked against the Hunspell flags.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A prefix may only land on a root whose flags say it takes that prefix.
    Strict,
    /// Any root will do; tried only when the strict search finds nothing, for words
    /// newer than the flags (`terdampak`: `dampak` has no `ter-` flag).
    Lenient,
}

/// One ECS run: suffixes and prefixes in Asian's order, then loop-last-return.
fn search(w: &Word, particles: bool, mode: Mode) -> Option<Word> {
    // Precedence adjustment: for these confixes the prefix is taken off first.
    if prefix_first(w.bytes()) {
        let mut current = *w;
        if strip_prefixes(&mut current, Suffix::Unknown, mode) {
            return Some(current);
        }
        let mut removals = [None; 3];
        if strip_suffixes(&mut current, &mut removals, particles) {
            return Some(current);
        }
    }

    let mut current = *w;
    let mut removals = [None; 3];
    if strip_suffixes(&mut current, &mut removals, particles) {
        return Some(current);
    }
    let derivational = removals.iter().flatten().find_map(|r| r.derivational);
    if strip_prefixes(&mut current, Suffix::Known(derivational), mode) {
        return Some(current);
    }

    // Loop-last-return: put the suffixes back one at a time, innermost first, and try the
    // prefixes again on each; `-kan` is also tried as `-k` + `-an` (`pemasukan`).
    for removal in removals.iter().rev().flatten() {
        if removal.derivational == Some(Derivational::Kan)
            && let Some(mut current) = Word::joined(removal.after.bytes(), b"k")
            && (strip_prefixes(&mut current, Suffix::Known(Some(Derivational::An)), mode)
                || current.is_stem())
        {
            return Some(current);
        }
        let mut current = removal.before;
        if strip_prefixes(&mut current, Suffix::Known(None), mode) {
            return Some(current);
        }
    }
    None
}

/// Asian's precedence adjustment: confixes whose prefix should go before the suffix.
fn prefix_first(w: &[u8]) -> bool {
    (w.starts_with(b"be") && (w.ends_with(b"lah") || w.ends_with(b"an")))
        || (w.ends_with(b"i")
            && (w.starts_with(b"me")
                || w.starts_with(b"di")
                || w.starts_with(b"pe")
                || w.starts_with(b"ter")))
}

/// Takes off up to three prefixes, one per round; `true` as soon as a root is reached.
/// `suffix` is what is known of the derivational suffix, which rules out some prefixes
/// and helps choose between readings.
fn strip_prefixes(current: &mut Word, suffix: Suffix, mode: Mode) -> bool {
    for round in 0..3 {
        let Some(readings) = prefix_rule(current.bytes()) else {
            return false;
        };
        // Only the outermost prefix pairs with the suffix.
        let outermost = round == 0;
        if outermost && !confix_allowed(readings.prefix, suffix.derivational(), current.bytes()) {
            return false;
        }
        let Some((next, qualified)) =
            readings.choose(if outermost { suffix.flag() } else { None }, mode)
        else {
            return false;
        };
        *current = next;
        if qualified {
            return true;
        }
    }
    false
}

/// Takes off a particle, a possessive and a derivational suffix, in that order;
/// `true` as soon as a root is reached. Records what it removed.
fn strip_suffixes(
    current: &mut Word,
    removals: &mut [Option<SuffixRemoval>; 3],
    particles: bool,
) -> bool {
    let skip = usize::from(!particles);
    for (slot, suffixes) in removals.iter_mut().zip(SUFFIXES).skip(skip) {
        let bytes = current.bytes();
        let Some((suffix, derivational)) = suffixes
            .iter()
            .find(|(s, _)| bytes.len() > s.len() && bytes.ends_with(s))
        else {
            continue;
        };
        let after = current.without_suffix(suffix.len());
        *slot = Some(SuffixRemoval {
            before: *current,
            after,
            derivational: *derivational,
        });
        *current = after;
        if current.is_stem() {
            return true;
        }
    }
    false
}

/// The suffixes in removal order: particles, possessives, derivational suffixes (with
/// `-kan` before `-an`, so the longer one wins).
const SUFFIXES: [&[(&[u8], Option<Derivational>)]; 3] = [
    &[
        (b"kah", None),
        (b"lah", None),
        (b"pun", None),
        (b"tah", None),
    ],
    &[(b"ku", None), (b"mu", None), (b"nya", None)],
    &[
        (b"kan", Some(Derivational::Kan)),
        (b"an", Some(Derivational::An)),
        (b"i", Some(Derivational::I)),
    ],
];
