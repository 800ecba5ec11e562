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

/// The token the index adds for every other form of a built-in group: the group's
/// first form with its separators removed (`asn`, `satpolpp`).
fn key_of(group: &[&str]) -> String {
    group
        .first()
        .map(|f| tokens(f).concat())
        .unwrap_or_default()
}

/// The keys to index for `text`: for each occurrence of a built-in form that is not its
/// group's key, the key (repeated per occurrence, so BM25 counts it like a word).
///
/// Built-in groups are resolved at index time because their long forms are phrases of
/// the commonest words of regional news ("pemerintah", "daerah", "negara"): matching such
/// a phrase means reading those words' whole position lists, hundreds of milliseconds in
/// a million-article archive, while the key is one short list. The user's own groups can
/// change with feeds.toml, so they stay query-time expansions.
pub fn index_keys(text: &str) -> Vec<&'static str> {
    index_keys_of(&crate::stem::Folded::new(text).words())
}

/// [`index_keys`] of a text's index tokens (`stem::index_tokens`).
pub(crate) fn index_keys_of(words: &[&str]) -> Vec<&'static str> {
    let index = key_index();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let Some(candidates) = index.forms.get(*w) else {
            continue;
        };
        for (form, key) in candidates {
            let rest = words.get(i..i + form.len());
            if rest.is_some_and(|r| r.iter().zip(form).all(|(a, b)| *a == b)) {
                out.push(key.as_str());
            }
        }
    }
    out
}

/// Forms by first token. Every word of every article is looked up here, and the keys are
/// the fixed built-in table, so the fast non-keyed hash is safe.
type Forms = std::collections::HashMap<
    String,
    Vec<(Vec<String>, String)>,
    std::hash::BuildHasherDefault<crate::stem::FxHasher>,
>;

/// Every built-in form that is not its group's key, by first token: (form tokens, key).
struct KeyIndex {
    forms: Forms,
}

fn key_index() -> &'static KeyIndex {
    static INDEX: std::sync::OnceLock<KeyIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut forms = Forms::default();
        for group in BUILT_IN {
            let key = key_of(group);
            for form in group.iter() {
                let t = tokens(form);
                if t.concat() == key && t.len() == 1 {
                    continue;
                }
                if let Some(first) = t.first() {
                    forms
                        .entry(first.clone())
                        .or_default()
                        .push((t.clone(), key.clone()));
                }
            }
        }
        KeyIndex { forms }
    })
}

/// The built-in table as text, one group per line: what the archive records with its
/// index, so that an archive indexed under another table is re-keyed on open.
pub fn index_signature() -> String {
    BUILT_IN
        .iter()
        .map(|g| g.join("|"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every form in a signature written by [`index_signature`], and every key it implies:
/// what an archive indexed under it may hold.
pub fn signature_forms(signature: &str) -> (Vec<String>, Vec<String>) {
    let mut forms = Vec::new();
    let mut keys = Vec::new();
    for line in signature.lines() {
        let group: Vec<&str> = line.split('|').collect();
        keys.push(key_of(&group));
        forms.extend(group.iter().map(|f| tokens(f).join(" ")));
    }
    forms.retain(|f| !f.is_empty());
    keys.retain(|k| !k.is_empty());
    (forms, keys)
}

#[derive(Debug, Clone)]
struct Group {
    /// Its forms as token sequences.
    forms: Vec<Vec<String>>,
    /// The indexed key (built-in groups only; see [`index_keys`]).
    key: Option<String>,
}

/// The alias table in use: built-in groups plus the user's.
#[derive(Debug, Clone, Default)]
pub struct Aliases {
    groups: Vec<Group>,
}

impl Aliases {
    /// The built-in table with `extra` groups (from feeds.toml) added.
    pub fn new(extra: &[Vec<String>]) -> Aliases {
        let mut groups: Vec<Group> = BUILT_IN
            .iter()
            .map(|g| Group {
                forms: g.iter().map(|f| tokens(f)).collect(),
                key: Some(key_of(g)),
            })
            .collect();
        for g in extra {
            let forms: Vec<Vec<String>> = g
                .iter()
                .map(|f| tokens(f))
                .filter(|t| !t.is_empty())
                .collect();
            if forms.len() >= 2 {
                groups.push(Group { forms, key: None });
            }
        }
        Aliases { groups }
    }

    /// The other forms of the name written as `words` (a word or a phrase), each a token
    /// sequence; empty when it is in no group. What a highlighter marks.
    pub fn others(&self, words: &[String]) -> Vec<Vec<String>> {
        self.forms_of(words, |g| g.forms.clone())
    }

    /// What a query for `words` must also match to find every form of its name: the
    /// indexed key of a built-in group (which the index adds wherever another form is
    /// written), and the other forms of the user's groups.
    pub fn query_forms(&self, words: &[String]) -> Vec<Vec<String>> {
        self.forms_of(words, |g| match &g.key {
            Some(k) => vec![vec![k.clone()]],
            None => g.forms.clone(),
        })
    }

    /// `pick`'s forms of every group that has `words` as a form, each once, without
    /// `words` itself.
    fn forms_of(
        &self,
        words: &[String],
        pick: impl Fn(&Group) -> Vec<Vec<String>>,
    ) -> Vec<Vec<String>> {
        let typed: Vec<String> = words.iter().flat_map(|w| tokens(w)).collect();
        let mut out: Vec<Vec<String>> = Vec::new();
        if typed.is_empty() {
            return out;
        }
        for g in self.groups.iter().filter(|g| g.forms.contains(&typed)) {
            for f in pick(g) {
                if f != typed && !out.contains(&f) {
                    out.push(f);
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
    fn index_keys_mark_every_other_built_in_form() {
        assert_eq!(
            index_keys("Para Aparatur Sipil Negara di Kutai Timur dan ASN Kutim"),
            vec!["asn", "kutim"]
        );
        // A two-word short form gets a one-token key wherever either form is written.
        assert_eq!(
            index_keys("Satpol PP dan Satuan Polisi Pamong Praja"),
            vec!["satpolpp", "satpolpp"]
        );
        // Punctuation separates tokens, as in an FTS5 phrase; word order matters.
        assert_eq!(index_keys("aparatur sipil, negara"), vec!["asn"]);
        assert!(index_keys("aparatur negara sipil").is_empty());
        assert!(index_keys("").is_empty());
    }

    #[test]
    fn built_in_names_query_their_key_user_names_their_forms() {
        let a = Aliases::new(&[vec!["Sangatta".into(), "Sengata".into()]]);
        assert!(a.query_forms(&words("ASN")).is_empty());
        assert_eq!(
            a.query_forms(&words("aparatur sipil negara")),
            vec![words("asn")]
        );
        assert_eq!(a.query_forms(&words("satpol pp")), vec![words("satpolpp")]);
        assert_eq!(a.query_forms(&words("sengata")), vec![words("sangatta")]);
        assert!(a.query_forms(&words("samarinda")).is_empty());
    }

    #[test]
    fn signature_lists_forms_and_keys() {
        let (forms, keys) =
            signature_forms("satpol pp|satuan polisi pamong praja\nasn|aparatur sipil negara");
        assert_eq!(keys, vec!["satpolpp", "asn"]);
        assert!(forms.contains(&"aparatur sipil negara".to_string()));
        assert_eq!(signature_forms(&index_signature()).1.len(), BUILT_IN.len());
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
