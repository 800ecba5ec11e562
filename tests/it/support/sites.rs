//! The hand-made Indonesian regional news pages under tests/fixtures/sites/ and their golden
//! bodies. The pages name their own site as `https://www.<site>.example`; when served, that
//! origin is rewritten to the fixture server's so their canonical links stay on the same site.

use std::path::PathBuf;

pub fn dir() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sites")
}

/// A fixture page: its file stem, the origin it names, where it lives on that site, its title
/// and publication time (the WITA dateline as RFC 3339), and the words a search should find.
pub struct Page {
    pub stem: &'static str,
    pub origin: &'static str,
    pub path: &'static str,
    pub title: &'static str,
    pub published: &'static str,
    pub search: &'static str,
}

pub const PAGES: &[Page] = &[
    Page {
        stem: "tribun-kutim-pemkab-sangatta",
        origin: "https://www.tribunmahakam.example",
        path: "/2024/03/12/pemkab-kutim-salurkan-bantuan-bibit-kepada-petani-sangatta",
        title: "Pemkab Kutim Salurkan Bantuan Bibit Kepada Petani di Sangatta",
        published: "2024-03-12T09:30:00+08:00",
        search: "hortikultura",
    },
    Page {
        stem: "mahakampos-kutim-pemkab-sangatta",
        origin: "https://mahakampos.example",
        path: "/daerah/kutai-timur/2024/03/12/bantuan-bibit-petani-sangatta",
        title: "Pemkab Kutim Bagikan Bibit Hortikultura untuk Petani Sangatta",
        published: "2024-03-12T11:05:00+08:00",
        search: "hortikultura",
    },
    Page {
        stem: "tribun-samarinda-banjir",
        origin: "https://www.tribunmahakam.example",
        path: "/2024/03/14/banjir-rendam-lima-kelurahan-di-samarinda-utara",
        title: "Banjir Rendam Lima Kelurahan di Samarinda Utara, Ratusan Warga Mengungsi",
        published: "2024-03-14T06:45:00+08:00",
        search: "Lempake",
    },
    Page {
        stem: "mahakampos-ppu-pelabuhan",
        origin: "https://mahakampos.example",
        path: "/ekonomi/2024/03/15/dermaga-feri-penajam-mulai-dibenahi",
        title: "Dermaga Feri Penajam Mulai Dibenahi Jelang Arus Mudik",
        published: "2024-03-15T14:20:00+08:00",
        search: "Nenang",
    },
    Page {
        stem: "kaltimkini-berau-penyu",
        origin: "https://kaltimkini.example",
        path: "/berita/lingkungan/penyu-hijau-derawan-menetas",
        title: "Ratusan Tukik Penyu Hijau Menetas di Pulau Derawan",
        published: "2024-03-16T16:00:00+08:00",
        search: "tukik",
    },
];

pub fn html_path(page: &Page) -> PathBuf {
    dir().join(format!("{}.html", page.stem))
}

pub fn html(page: &Page) -> String {
    std::fs::read_to_string(html_path(page)).expect("read a fixture page")
}

/// The page as served from `base` (its own origin replaced).
pub fn served(page: &Page, base: &str) -> String {
    html(page).replace(page.origin, base)
}

/// Golden paragraphs, in order.
pub fn expected(page: &Page) -> Vec<String> {
    let text = std::fs::read_to_string(dir().join(format!("{}.expected.txt", page.stem)))
        .expect("read an expected body");
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Text that is in every fixture page but must never be in an extracted body.
pub const BOILERPLATE: &[&str] = &[
    "ADVERTISEMENT",
    "Baca juga",
    "Baca Juga",
    "BACA JUGA",
    "Berita Terkait",
    "Hak Cipta",
    "Hak cipta",
    "Ikuti kami",
    "Indeks Berita",
    "Bagikan",
    "Pedoman Media Siber",
    "Salin Link",
    "Terpopuler",
    "Tutup Iklan",
    "Scroll untuk melanjutkan",
];

/// Whitespace-normalised text, for comparing paragraphs whatever the line breaks.
pub fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every golden paragraph is in `body` and no boilerplate is; the message lists what is wrong.
#[track_caller]
pub fn assert_golden(page: &Page, body: &str) {
    let body_n = norm(body);
    let missing: Vec<String> = expected(page)
        .into_iter()
        .filter(|p| !body_n.contains(p.as_str()))
        .collect();
    let leaked: Vec<&str> = BOILERPLATE
        .iter()
        .copied()
        .filter(|b| body.contains(b))
        .collect();
    assert!(
        missing.is_empty() && leaked.is_empty(),
        "{}: extracted body differs from the golden one\nmissing paragraphs: {missing:#?}\n\
         boilerplate present: {leaked:?}\nbody:\n{body}",
        page.stem
    );
}
