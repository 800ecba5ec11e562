//! Names and ids shared by the stages. No I/O here.

use std::fmt;

/// A feed's name from feeds.toml: `[a-z0-9-]+`, unique; the id used on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedName(String);

impl FeedName {
    pub fn parse(s: &str) -> Result<FeedName, String> {
        if s.is_empty() {
            return Err("a feed name cannot be empty".into());
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(format!(
                "feed name {s:?} has {c:?}; use only lower-case letters a-z, digits and '-'"
            ));
        }
        Ok(FeedName(s.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FeedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Row id of an article (one distinct body, seen at one or more places).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArticleId(pub i64);

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why only part of an article was on its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Partial {
    /// The rest is behind a subscription.
    Paywall,
}

impl Partial {
    pub fn as_str(self) -> &'static str {
        match self {
            Partial::Paywall => "paywall",
        }
    }

    /// The stored name back; None for a name this version does not know.
    pub fn parse(s: &str) -> Option<Partial> {
        (s == "paywall").then_some(Partial::Paywall)
    }
}

/// RFC 3339 with an explicit offset (`+00:00`, never `Z`), as the contract's outputs want.
pub fn rfc3339<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> String
where
    Tz::Offset: fmt::Display,
{
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}
