//! Article pages made up on the spot: a plain news-site template around paragraphs that a test
//! chooses, and deterministic filler text so that generated articles differ from each other as
//! much as real ones do (no accidental near-duplicates).

use super::rss::escape;

/// A news page: header, nav, the article (h1, time, paragraphs), a related list and a footer.
pub fn article(title: &str, published_rfc3339: &str, lang: &str, paragraphs: &[String]) -> String {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("      <p>{}</p>\n", escape(p)))
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <title>{t} - Warta Uji</title>
  <meta property="og:title" content="{t}">
  <meta property="article:published_time" content="{published_rfc3339}">
</head>
<body>
  <header class="site-header"><a href="/" class="logo">Warta Uji</a>
    <nav><ul><li><a href="/daerah">Daerah</a></li><li><a href="/ekonomi">Ekonomi</a></li><li><a href="/olahraga">Olahraga</a></li></ul></nav>
  </header>
  <main>
    <article class="post">
      <h1 class="post-title">{t}</h1>
      <time datetime="{published_rfc3339}">{published_rfc3339}</time>
{body}    </article>
    <aside class="related"><h3>Berita Terkait</h3><ul><li><a href="/x/1">Harga cabai naik lagi</a></li><li><a href="/x/2">Jadwal kapal pekan depan</a></li></ul></aside>
  </main>
  <footer>Hak cipta Warta Uji. Semua hak dilindungi.</footer>
</body>
</html>
"#,
        t = escape(title)
    )
}

const INDONESIAN: &[&str] = &[
    "air",
    "anggaran",
    "anak",
    "bandara",
    "bantuan",
    "baru",
    "batu",
    "bersih",
    "besar",
    "bupati",
    "dana",
    "daerah",
    "data",
    "desa",
    "dinas",
    "dokter",
    "festival",
    "gubernur",
    "guru",
    "harga",
    "hasil",
    "hutan",
    "jalan",
    "jaringan",
    "jembatan",
    "jumlah",
    "kabupaten",
    "kapal",
    "kawasan",
    "kebun",
    "kecamatan",
    "keluarga",
    "kendaraan",
    "kesehatan",
    "kota",
    "laporan",
    "lingkungan",
    "listrik",
    "lokasi",
    "masyarakat",
    "nelayan",
    "pasar",
    "pelabuhan",
    "pelayanan",
    "pembangunan",
    "pemerintah",
    "pemuda",
    "penumpang",
    "perusahaan",
    "petani",
    "petugas",
    "program",
    "provinsi",
    "rapat",
    "rencana",
    "rumah",
    "sawit",
    "sekolah",
    "siswa",
    "sungai",
    "tambang",
    "wilayah",
    "wisata",
    "warga",
];

const INDONESIAN_GLUE: &[&str] = &[
    "yang", "dan", "di", "untuk", "dengan", "pada", "dari", "akan", "telah", "juga", "dalam",
    "karena", "agar", "para", "sejumlah", "setiap",
];

const ENGLISH: &[&str] = &[
    "airport",
    "budget",
    "bridge",
    "children",
    "city",
    "community",
    "company",
    "council",
    "district",
    "doctor",
    "families",
    "farmers",
    "festival",
    "fishermen",
    "forest",
    "governor",
    "harbour",
    "health",
    "hospital",
    "market",
    "mayor",
    "officials",
    "passengers",
    "plan",
    "police",
    "price",
    "program",
    "province",
    "report",
    "residents",
    "river",
    "road",
    "school",
    "students",
    "teachers",
    "village",
    "water",
    "workers",
];

const ENGLISH_GLUE: &[&str] = &[
    "the", "and", "of", "to", "in", "for", "with", "on", "from", "said", "that", "will", "have",
    "this", "were", "about",
];

/// A small deterministic generator (xorshift) so filler depends only on the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// `count` paragraphs of about `words` words each in language `lang` ("id" or "en"), the same
/// for the same seed, different (at the word-sequence level) for different seeds.
pub fn filler(lang: &str, seed: u64, count: usize, words: usize) -> Vec<String> {
    let (content, glue) = if lang == "en" {
        (ENGLISH, ENGLISH_GLUE)
    } else {
        (INDONESIAN, INDONESIAN_GLUE)
    };
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    (0..count)
        .map(|_| {
            let mut p = String::new();
            let mut in_sentence = 0;
            for i in 0..words {
                let w = if i % 2 == 0 {
                    content[rng.next(content.len())]
                } else {
                    glue[rng.next(glue.len())]
                };
                if in_sentence == 0 {
                    let mut c = w.chars();
                    if let Some(first) = c.next() {
                        p.extend(first.to_uppercase());
                        p.push_str(c.as_str());
                    }
                } else {
                    p.push_str(w);
                }
                in_sentence += 1;
                if in_sentence >= 9 + rng.next(6) || i + 1 == words {
                    p.push_str(". ");
                    in_sentence = 0;
                } else {
                    p.push(' ');
                }
            }
            p.trim_end().to_string()
        })
        .collect()
}

/// Filler paragraphs with `marker` sentences woven in (one per paragraph, at the start), so a
/// test can search for words it knows are in the body.
pub fn story(lang: &str, seed: u64, markers: &[&str]) -> Vec<String> {
    let mut paragraphs = filler(lang, seed, markers.len().max(4), 60);
    for (p, marker) in paragraphs.iter_mut().zip(markers) {
        *p = format!("{marker} {p}");
    }
    paragraphs
}
