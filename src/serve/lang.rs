//! The interface's two languages: Bahasa Indonesia by default, English on request (`?lang=en`,
//! or a browser that prefers English).

use axum::http::{HeaderMap, header};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    /// `?lang=` first, then the first of id or en the browser names, else Indonesian.
    pub fn pick(query: Option<&str>, headers: &HeaderMap) -> Lang {
        match query.map(str::trim) {
            Some("en") => return Lang::En,
            Some("id") => return Lang::Id,
            _ => {}
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        for tag in accept.split(',') {
            let code = tag.split(';').next().unwrap_or_default().trim();
            let primary = code.split('-').next().unwrap_or_default();
            match primary.to_ascii_lowercase().as_str() {
                "id" | "in" => return Lang::Id,
                "en" => return Lang::En,
                _ => {}
            }
        }
        Lang::Id
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }

    /// The interface's words. An unknown key shows itself, which a test would catch.
    pub fn t(self, key: &'static str) -> &'static str {
        let (id, en) = match key {
            "archive" => ("Arsip berita", "News archive"),
            "search" => ("Cari", "Search"),
            "overview" => ("Ikhtisar", "Overview"),
            "feeds" => ("Sumber", "Sources"),
            "watches" => ("Pantauan", "Watches"),
            "query" => ("Kata kunci", "Words"),
            "query_help" => (
                "Frasa dalam \"…\", OR, -kecuali, judul:, awalan*",
                "Phrases in \"…\", OR, -exclude, title:, prefix*",
            ),
            "feed" => ("Sumber", "Source"),
            "any_feed" => ("Semua sumber", "Every source"),
            "region" => ("Wilayah", "Region"),
            "since" => ("Sejak", "Since"),
            "until" => ("Sampai", "Until"),
            "sort" => ("Urutan", "Order"),
            "newest" => ("Terbaru", "Newest"),
            "relevance" => ("Paling cocok", "Best match"),
            "go" => ("Cari", "Search"),
            "results" => ("hasil", "results"),
            "no_results" => ("Tidak ada yang cocok.", "Nothing matches."),
            "next" => ("Berikutnya", "Next"),
            "previous" => ("Sebelumnya", "Previous"),
            "copies" => ("salinan", "copies"),
            "story" => ("Cerita", "Story"),
            "places" => ("Tempat cerita ini muncul", "Where this story appeared"),
            "site" => ("Situs", "Site"),
            "first_seen" => ("Pertama terlihat", "First seen"),
            "published" => ("Terbit", "Published"),
            "first" => ("pertama", "first"),
            "original" => ("Halaman asli", "Original page"),
            "images" => ("Gambar di halaman asli", "Pictures on the original page"),
            "images_note" => (
                "Tidak dimuat di sini: tiap tautan membuka gambar dari situs penerbit.",
                "Not loaded here: each link opens the picture from the publisher's site.",
            ),
            "raw" => ("Halaman yang disimpan", "Kept page"),
            "author" => ("Penulis", "Author"),
            "version" => ("Versi", "Version"),
            "removed" => ("Dihapus penerbit", "Taken down by the publisher"),
            "state" => ("Keadaan", "State"),
            "last_success" => ("Terakhir berhasil", "Last success"),
            "last_error" => ("Galat terakhir", "Last error"),
            "articles" => ("Artikel", "Articles"),
            "next_poll" => ("Berikutnya", "Next poll"),
            "stories" => ("Cerita", "Stories"),
            "latest" => ("Cerita terbaru", "Latest stories"),
            "last_24h" => ("24 jam terakhir", "Last 24 hours"),
            "login" => ("Masuk", "Log in"),
            "token" => ("Token", "Token"),
            "wrong_token" => ("Token salah.", "Wrong token."),
            "no_watches" => ("Belum ada pantauan.", "No watches yet."),
            "not_found" => ("Tidak ditemukan", "Not found"),
            "skip" => ("Langsung ke isi", "Skip to content"),
            "language" => ("English", "Bahasa Indonesia"),
            "per_day" => ("Artikel per hari terbit", "Articles a day, by publication"),
            "days" => ("hari", "days"),
            "day" => ("Hari", "Day"),
            "numbers" => ("Angkanya", "The numbers"),
            "widest" => ("Paling luas menyebar pekan ini", "Widest spread this week"),
            "top_sites" => ("Situs teratas (30 hari)", "Top sites (30 days)"),
            "sites" => ("situs", "sites"),
            "nothing_yet" => ("Belum ada.", "Nothing yet."),
            "facets" => ("Saring hasil", "Narrow the results"),
            "alerts" => ("Peringatan", "Alerts"),
            "sent" => ("terkirim", "sent"),
            "waiting" => ("menunggu", "waiting"),
            "given_up" => ("gagal", "given up"),
            "month" => ("Bulan", "Month"),
            "facets_capped" => (
                "Dihitung dari artikel terbaru yang cocok, sebanyak",
                "Counted over the newest matching articles, as many as",
            ),
            _ => (key, key),
        };
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_unless_asked_otherwise() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::pick(None, &h), Lang::Id);
        h.insert(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9".parse().unwrap());
        assert_eq!(Lang::pick(None, &h), Lang::En);
        assert_eq!(Lang::pick(Some("id"), &h), Lang::Id);
        h.insert(header::ACCEPT_LANGUAGE, "fr,id;q=0.8".parse().unwrap());
        assert_eq!(Lang::pick(None, &h), Lang::Id);
        assert_eq!(Lang::En.t("search"), "Search");
        assert_eq!(Lang::Id.t("search"), "Cari");
    }
}
