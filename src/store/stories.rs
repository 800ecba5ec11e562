//! Stories: which articles tell the same story, decided inside the writing transaction.
//!
//! A new article joins every story that holds a near duplicate of it (candidates from the
//! LSH band index (`bands.rs`), confirmed by `dedup::minhash::same_story`). When it is a near
//! duplicate of articles in several stories, it bridges them: they are merged into the
//! oldest, and the merge is recorded. Stories are therefore the connected components of
//! the "same story" relation, whatever order the articles arrived in.
//!
//! Each story has a representative, the copy shown for it in search results: the earliest
//! published (the first archived, where dates are missing), unless another copy is much
//! more complete.

use super::db::{OptionalExtension, Transaction, params};

use super::bands;
use crate::dedup::minhash::{self, Signature};

/// How a new article found its story.
pub(super) struct Placement {
    pub story: i64,
    /// `new` (the first article of its story) or `minhash` (a near duplicate).
    pub method: &'static str,
    pub similarity: Option<f64>,
}

/// Candidates examined at most: unrelated articles rarely share a band, so a band with
/// more members than this is boilerplate shared by a template.
const MAX_CANDIDATES: usize = 200;

/// A copy this much longer than the earliest one represents the story instead: a one-line
/// teaser published first should not stand for the full report that followed.
const MUCH_MORE_COMPLETE: f64 = 1.5;

pub(super) fn place(
    tx: &Transaction<'_>,
    sig: Option<&Signature>,
    article_hint: &str,
    now: &str,
) -> super::db::Result<Placement> {
    let matches = match sig {
        Some(sig) => matching_stories(tx, sig)?,
        None => Vec::new(),
    };
    let Some(&(target, best)) = matches.first() else {
        tx.prepare_cached("INSERT INTO stories (created) VALUES (?1)")?
            .execute([now])?;
        return Ok(Placement {
            story: tx.last_insert_rowid()?,
            method: "new",
            similarity: None,
        });
    };
    for &(other, sim) in &matches[1..] {
        merge(tx, other, target, now, sim, article_hint)?;
    }
    Ok(Placement {
        story: target,
        method: "minhash",
        similarity: Some(best),
    })
}

/// Stories holding a near duplicate of `sig`, oldest story first, each with its best
/// similarity (the larger of Jaccard and containment).
fn matching_stories(tx: &Transaction<'_>, sig: &Signature) -> super::db::Result<Vec<(i64, f64)>> {
    let mut candidates: Vec<i64> = Vec::new();
    bands::sync(tx)?;
    let wanted = sig.bands();
    // PostgreSQL: every band's members in one statement (a round trip a band otherwise).
    let mut found = if tx.is_pg() {
        Some(bands::members_of_each(tx, &wanted)?)
    } else {
        None
    };
    for band in wanted {
        match found.as_mut() {
            Some(each) => candidates.extend(each.remove(&band).unwrap_or_default()),
            None => candidates.extend(bands::members(tx, band)?),
        }
        if candidates.len() >= MAX_CANDIDATES {
            break;
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let mut load =
        tx.prepare_cached("SELECT minhash, shingles, story_id FROM articles WHERE id = ?1")?;
    let mut stories: Vec<(i64, f64)> = Vec::new();
    for id in candidates {
        let Some((blob, shingles, story)) = load
            .query_row([id], |r| {
                Ok((
                    r.get::<_, Option<Vec<u8>>>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()?
        else {
            continue;
        };
        let Some(mins) = blob.as_deref().and_then(Signature::from_bytes) else {
            continue;
        };
        let other = Signature {
            mins,
            shingles: shingles.unwrap_or(0).max(0) as usize,
        };
        if let Some(sim) = minhash::same_story(sig, &other) {
            let score = sim.jaccard.max(sim.containment);
            match stories.iter_mut().find(|(s, _)| *s == story) {
                Some((_, best)) => *best = best.max(score),
                None => stories.push((story, score)),
            }
        }
    }
    stories.sort_by_key(|&(s, _)| s);
    Ok(stories)
}

fn merge(
    tx: &Transaction<'_>,
    from: i64,
    into: i64,
    now: &str,
    similarity: f64,
    bridge: &str,
) -> super::db::Result<()> {
    tx.execute(
        "UPDATE articles SET story_id = ?2 WHERE story_id = ?1",
        params![from, into],
    )?;
    tx.execute(
        "UPDATE stories SET merged_into = ?2, representative = NULL WHERE id = ?1",
        params![from, into],
    )?;
    tx.execute(
        "INSERT INTO story_merges (from_story, into_story, at, bridge, similarity)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![from, into, now, bridge, similarity],
    )?;
    tracing::info!(story = into, merged = from, bridge, "stories merged");
    Ok(())
}

/// Recomputes which article represents `story`.
pub(super) fn refresh_representative(tx: &Transaction<'_>, story: i64) -> super::db::Result<()> {
    let mut stmt = tx.prepare_cached(
        // `+?1`: see `bands::members` (a re-prepare for every story otherwise).
        "SELECT id, published_ts, length(body) FROM articles WHERE story_id = +?1 ORDER BY id",
    )?;
    let rows: Vec<(i64, Option<i64>, i64)> = stmt
        .query_map([story], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    // Earliest published; undated articles after dated ones, in archive order.
    let earliest = rows
        .iter()
        .min_by_key(|(id, published, _)| (published.is_none(), published.unwrap_or(0), *id));
    let longest = rows.iter().max_by_key(|(id, _, len)| (*len, -*id));
    let representative = match (earliest, longest) {
        (Some(e), Some(l)) if l.2 as f64 >= e.2 as f64 * MUCH_MORE_COMPLETE => Some(l.0),
        (Some(e), _) => Some(e.0),
        _ => None,
    };
    tx.prepare_cached("UPDATE stories SET representative = ?2 WHERE id = ?1")?
        .execute(params![story, representative])?;
    Ok(())
}
