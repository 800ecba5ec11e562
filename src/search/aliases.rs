//! Names regional news uses interchangeably: abbreviations of regions and institutions
//! (Kutim / Kutai Timur, Pemkab / Pemerintah Kabupaten, ASN / aparatur sipil negara). A
//! query for one form finds the others.
//!
//! The built-in table covers East Kalimantan and its neighbours and the government
//! vocabulary of Indonesian regional reporting. Sources: the official names and
//! abbreviations in Law 23/2014 on regional government (Pemda, Pemprov, Pemkab, Pemkot,
//! DPRD, OPD/SKPD, APBD), Law 5/2014 on the civil service (ASN, PNS, PPPK), the province
//! and regency names of Kalimantan as the provincial governments write them, and the
//! abbreviations the region's newsrooms (ANTARA Kaltim, Tribun Kaltim, Kaltim Post) use in
//! headlines. Users add their own groups in feeds.toml under `[search] aliases`.

/// Groups of equivalent names, each group sorted by its first form. Lower case.
const BUILT_IN: &[&[&str]] = &[
    &["apbd", "anggaran pendapatan dan belanja daerah"],
    &["apbn", "anggaran pendapatan dan belanja negara"],
    &["asn", "aparatur sipil negara"],
    &["bappeda", "badan perencanaan pembangunan daerah"],
    &["blt", "bantuan langsung tunai"],
    &["bpbd", "badan penanggulangan bencana daerah"],
    &["damkar", "pemadam kebakaran"],
    &["dinkes", "dinas kesehatan"],
    &["disdik", "dinas pendidikan"],
    &["dprd", "dewan perwakilan rakyat daerah"],
    &["ikn", "ibu kota nusantara"],
    &["kades", "kepala desa"],
    &["kalbar", "kalimantan barat"],
    &["kalsel", "kalimantan selatan"],
    &["kaltara", "kalimantan utara"],
    &["kalteng", "kalimantan tengah"],
    &["kaltim", "kalimantan timur"],
    &["kubar", "kutai barat"],
    &["kukar", "kutai kartanegara"],
    &["kutim", "kutai timur"],
    &["mahulu", "mahakam ulu"],
    &["opd", "organisasi perangkat daerah"],
    &["pemda", "pemerintah daerah"],
    &["pemkab", "pemerintah kabupaten"],
    &["pemkot", "pemerintah kota"],
    &["pemprov", "pemerintah provinsi"],
    &["pilkada", "pemilihan kepala daerah"],
    &["pns", "pegawai negeri sipil"],
    &["pppk", "pegawai pemerintah dengan perjanjian kerja"],
    &["ppu", "penajam paser utara"],
    &["rsud", "rumah sakit umum daerah"],
    &["satpol pp", "satuan polisi pamong praja"],
    &["skpd", "satuan kerja perangkat daerah"],
    &["umkm", "usaha mikro kecil dan menengah"],
];

/// The alias table in use: built-in groups plus the user's.
#[derive(Debug, Clone, Default)]
pub struct Aliases {
    /// Each group: its forms as token sequences.
    groups: Vec<Vec<Vec<String>>>,
}

impl Aliases {
    /// The built-in table with `extra` groups (from feeds.toml) added.
    pub fn new(extra: &[Vec<String>]) -> Aliases {
        let mut groups: Vec<Vec<Vec<String>>> = BUILT_IN
            .iter()
            .map(|g| g.iter().map(|f| tokens(f)).collect())
            .collect();
        for g in extra {
            let forms: Vec<Vec<String>> = g
                .iter()
                .map(|f| tokens(f))
                .filter(|t| !t.is_empty())
                .collect();
            if forms.len() >= 2 {
                groups.push(forms);
            }
        }
        Aliases { groups }
    }

    /// The other forms of the name written as `words` (a word or a phrase), each a token
    /// sequence; empty when it is in no group.
    pub fn others(&self, words: &[String]) -> Vec<Vec<String>> {
        let key: Vec<String> = words.iter().flat_map(|w| tokens(w)).collect();
        if key.is_empty() {
            return Vec::new();
        }
        let mut out: Vec<Vec<String>> = Vec::new();
        for g in &self.groups {
            if g.contains(&key) {
                for f in g {
                    if *f != key && !out.contains(f) {
                        out.push(f.clone());
                    }
                }
            }
        }
        out
    }
}

/// Lower-case letter/digit runs, as the index sees them.
fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn table_is_sorted_and_lower_case() {
        let firsts: Vec<&str> = BUILT_IN.iter().map(|g| g[0]).collect();
        let mut sorted = firsts.clone();
        sorted.sort();
        assert_eq!(firsts, sorted);
        assert!(
            BUILT_IN
                .iter()
                .flat_map(|g| g.iter())
                .all(|f| f.to_lowercase() == *f)
        );
    }

    #[test]
    fn either_form_finds_the_other() {
        let a = Aliases::new(&[]);
        assert_eq!(a.others(&words("Kutim")), vec![words("kutai timur")]);
        assert_eq!(a.others(&words("kutai timur")), vec![words("kutim")]);
        assert_eq!(
            a.others(&words("Satpol-PP")),
            vec![words("satuan polisi pamong praja")]
        );
        assert!(a.others(&words("samarinda")).is_empty());
    }

    #[test]
    fn user_groups_are_added() {
        let a = Aliases::new(&[
            vec!["Sangatta".into(), "Sengata".into()],
            vec!["lonely".into()],
        ]);
        assert_eq!(a.others(&words("sengata")), vec![words("sangatta")]);
        assert!(a.others(&words("lonely")).is_empty());
    }
}
