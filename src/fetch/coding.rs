//! Content codings undone by hand, for article pages: their bodies come off the wire still
//! encoded (see [`super::Fetcher::get_page_hop`]) so that a gzip body can be kept exactly as
//! it came, as the page's compressed copy, instead of being inflated by the HTTP client and
//! compressed again with zstd. Every decoder here stops at a cap on the bytes it puts out,
//! so a small body that inflates to gigabytes (a gzip bomb) costs at most the cap.

use std::io::Read;

/// The Content-Encoding a body is still in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Coding {
    /// Not encoded, or already decoded by the HTTP client (every answer but an article page's).
    #[default]
    Identity,
    Gzip,
    Deflate,
    Brotli,
    /// A coding that was not asked for (the header as sent).
    Other(String),
}

impl Coding {
    /// The codings asked for in Accept-Encoding, all of which [`decode`] undoes.
    pub const ACCEPTED: &'static str = "gzip, deflate, br";

    /// From a Content-Encoding header.
    pub fn from_header(value: Option<&str>) -> Coding {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Coding::Identity;
        };
        match v.to_ascii_lowercase().as_str() {
            "identity" => Coding::Identity,
            "gzip" | "x-gzip" => Coding::Gzip,
            "deflate" => Coding::Deflate,
            "br" => Coding::Brotli,
            // Stacked codings ("gzip, br") and the rest were never asked for.
            _ => Coding::Other(v.to_string()),
        }
    }
}

/// A body with its coding undone.
#[derive(Debug)]
pub struct Decoded {
    /// At most the cap.
    pub body: Vec<u8>,
    /// The content was longer than the cap, or the body was cut on the wire: `body` is its
    /// beginning.
    pub truncated: bool,
    /// The body as received, when it is one whole gzip stream that `body` is all of: what
    /// is kept of the page instead of compressing `body` again.
    pub gzip: Option<Vec<u8>>,
}

/// Undoes `coding` on `body`, putting out at most `cap` bytes. `cut`: the body was cut on
/// the wire at the fetch cap, so a compressed stream that ends early is the cut, not damage.
/// `Err` says why the body cannot be read.
pub fn decode(body: Vec<u8>, coding: &Coding, cut: bool, cap: u64) -> Result<Decoded, String> {
    let inflated = match coding {
        Coding::Identity => {
            return Ok(Decoded {
                body,
                truncated: cut,
                gzip: None,
            });
        }
        Coding::Gzip => gunzip(&body, cap),
        Coding::Deflate => inflate_deflate(&body, cap),
        Coding::Brotli => read_capped(
            brotli_decompressor::Decompressor::new(body.as_slice(), 64 * 1024),
            cap,
            body.len().saturating_mul(4),
        ),
        Coding::Other(name) => {
            return Err(format!(
                "the page came in content encoding {name:?}, which was not asked for and is not decoded"
            ));
        }
    };
    let name = match coding {
        Coding::Gzip => "gzip",
        Coding::Deflate => "deflate",
        _ => "brotli",
    };
    match inflated {
        Inflated::Whole(out) => Ok(Decoded {
            body: out,
            truncated: cut,
            gzip: (*coding == Coding::Gzip && !cut).then_some(body),
        }),
        Inflated::OverCap(out) => Ok(Decoded {
            body: out,
            truncated: true,
            gzip: None,
        }),
        // What came before the cut is the page's beginning, as for a plain body cut there.
        Inflated::Broken(out, e) if cut && e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Ok(Decoded {
                body: out,
                truncated: true,
                gzip: None,
            })
        }
        Inflated::Broken(_, e) => Err(format!(
            "the {name} body is damaged or cut short and does not decompress ({e})"
        )),
    }
}

/// What a capped decoder put out.
#[derive(Debug)]
pub enum Inflated {
    /// All of it, within the cap.
    Whole(Vec<u8>),
    /// More than the cap would have come: the first `cap` bytes.
    OverCap(Vec<u8>),
    /// The stream is damaged or ends early: what came before, and why.
    Broken(Vec<u8>, std::io::Error),
}

/// A gzip stream inflated, all of its members (a stream may be several, concatenated, as
/// RFC 1952 allows): the one decoder of both bodies off the wire and kept pages, so a kept
/// gzip page reads back as exactly what was extracted from it. Bytes after a member that
/// are not another member make the stream broken.
pub fn gunzip(gz: &[u8], cap: u64) -> Inflated {
    // The trailer's ISIZE is the last member's length mod 2³², a hint only (and capped).
    let hint = gz
        .len()
        .checked_sub(4)
        .and_then(|at| gz.get(at..))
        .and_then(|t| <[u8; 4]>::try_from(t).ok())
        .map_or(0, |t| u32::from_le_bytes(t) as usize);
    read_capped(flate2::bufread::MultiGzDecoder::new(gz), cap, hint)
}

/// HTTP's "deflate" is meant to be zlib-wrapped, but some servers send raw deflate: read as
/// zlib when the first two bytes are a zlib header, as browsers do, else (or when that
/// fails: raw deflate can start with bytes that look like one) as raw deflate.
fn inflate_deflate(body: &[u8], cap: u64) -> Inflated {
    let zlib = match body {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) * 256 + u16::from(*flg)) % 31 == 0,
        _ => false,
    };
    let hint = body.len().saturating_mul(4);
    let raw = || read_capped(flate2::bufread::DeflateDecoder::new(body), cap, hint);
    if !zlib {
        return raw();
    }
    match read_capped(flate2::bufread::ZlibDecoder::new(body), cap, hint) {
        Inflated::Broken(out, e) => match raw() {
            Inflated::Broken(..) => Inflated::Broken(out, e),
            fine => fine,
        },
        fine => fine,
    }
}

/// Reads `r` to its end or just past `cap` bytes, whichever comes first. `hint`: the size
/// likely to come, to allocate once (never more than the cap).
pub fn read_capped(r: impl Read, cap: u64, hint: usize) -> Inflated {
    let cap_len = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(hint.min(cap_len).saturating_add(1));
    // One byte past the cap tells "exactly the cap" from "more than the cap".
    match r.take(cap.saturating_add(1)).read_to_end(&mut out) {
        Ok(_) if out.len() > cap_len => {
            out.truncate(cap_len);
            Inflated::OverCap(out)
        }
        Ok(_) => Inflated::Whole(out),
        Err(e) => Inflated::Broken(out, e),
    }
}

/// Whether `bytes` starts like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    const PAGE: &[u8] = b"<html><body><p>Banjir di Samarinda, Rabu.</p></body></html>";

    #[test]
    fn a_whole_gzip_body_is_kept_as_received() {
        let wire = gz(PAGE);
        let d = decode(wire.clone(), &Coding::Gzip, false, 1 << 20).unwrap();
        assert_eq!(d.body, PAGE);
        assert!(!d.truncated);
        assert_eq!(d.gzip, Some(wire));
    }

    #[test]
    fn a_gzip_body_over_the_cap_is_cut_and_not_kept_as_received() {
        let d = decode(gz(PAGE), &Coding::Gzip, false, 10).unwrap();
        assert_eq!(d.body, &PAGE[..10]);
        assert!(d.truncated);
        assert_eq!(d.gzip, None);
        // Exactly the cap is whole.
        let d = decode(gz(PAGE), &Coding::Gzip, false, PAGE.len() as u64).unwrap();
        assert!(!d.truncated);
        assert!(d.gzip.is_some());
    }

    #[test]
    fn damaged_or_short_gzip_is_an_error_unless_the_fetch_cap_cut_it() {
        let wire = gz(PAGE);
        let short = wire[..wire.len() - 6].to_vec();
        let e = decode(short.clone(), &Coding::Gzip, false, 1 << 20).unwrap_err();
        assert!(e.contains("gzip body is damaged"), "{e}");
        let d = decode(short, &Coding::Gzip, true, 1 << 20).unwrap();
        assert!(d.truncated);
        assert_eq!(d.gzip, None);
        assert!(PAGE.starts_with(&d.body));

        let mut flipped = wire.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0x55;
        assert!(decode(flipped, &Coding::Gzip, false, 1 << 20).is_err());
        assert!(
            decode(
                b"\x1f\x8b\x08\x00 not gzip".to_vec(),
                &Coding::Gzip,
                false,
                99
            )
            .is_err()
        );
        assert!(decode(Vec::new(), &Coding::Gzip, false, 99).is_err());
    }

    #[test]
    fn every_member_of_a_multi_member_gzip_is_read_and_trailing_junk_is_an_error() {
        let mut two = gz(b"<p>satu</p>");
        two.extend(gz(b"<p>dua</p>"));
        let d = decode(two.clone(), &Coding::Gzip, false, 1 << 20).unwrap();
        assert_eq!(d.body, b"<p>satu</p><p>dua</p>");
        assert_eq!(d.gzip, Some(two.clone()));
        let mut junk = two;
        junk.extend_from_slice(b"garbage");
        assert!(decode(junk, &Coding::Gzip, false, 1 << 20).is_err());
    }

    #[test]
    fn deflate_is_read_zlib_wrapped_or_raw_and_brotli_is_read() {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(PAGE).unwrap();
        let z = z.finish().unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(PAGE).unwrap();
        let raw = raw.finish().unwrap();
        for body in [z, raw] {
            let d = decode(body, &Coding::Deflate, false, 1 << 20).unwrap();
            assert_eq!(d.body, PAGE);
            assert_eq!(d.gzip, None);
        }
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &PAGE[..], &mut br, &Default::default()).unwrap();
        let d = decode(br, &Coding::Brotli, false, 1 << 20).unwrap();
        assert_eq!(d.body, PAGE);
        assert!(decode(b"\xff\xff\xff".to_vec(), &Coding::Brotli, false, 1 << 20).is_err());
    }

    #[test]
    fn identity_passes_through_and_unknown_codings_are_refused() {
        let d = decode(PAGE.to_vec(), &Coding::Identity, true, 5).unwrap();
        assert_eq!(d.body, PAGE);
        assert!(d.truncated);
        let e = decode(PAGE.to_vec(), &Coding::Other("zstd".into()), false, 99).unwrap_err();
        assert!(e.contains("zstd"), "{e}");
    }

    #[test]
    fn content_encoding_headers() {
        assert_eq!(Coding::from_header(None), Coding::Identity);
        assert_eq!(Coding::from_header(Some(" GZIP ")), Coding::Gzip);
        assert_eq!(Coding::from_header(Some("x-gzip")), Coding::Gzip);
        assert_eq!(Coding::from_header(Some("br")), Coding::Brotli);
        assert_eq!(Coding::from_header(Some("deflate")), Coding::Deflate);
        assert_eq!(
            Coding::from_header(Some("gzip, br")),
            Coding::Other("gzip, br".into())
        );
    }
}
