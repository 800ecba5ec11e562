//! Keeps the regional-name keys in the stems column in step with the built-in alias
//! table (`search::aliases::index_keys`).
//!
//! The index holds a key (`asn`) wherever an article spells a name out ("aparatur sipil
//! negara"). The archive records the table it was keyed with in `meta`; when a release
//! brings another table (or an archive predates keys), opening it re-keys the articles
//! that hold any form of either table, once, in one transaction: a crash leaves the old
//! keys and the old record, and the next open starts again.

use super::db::OptionalExtension;

use super::{Store, StoreError};

const META_KEY: &str = "name_keys";

impl Store {
    pub(super) fn refresh_name_keys(&mut self) -> Result<(), StoreError> {
        let want = crate::search::aliases::index_signature();
        if self.recorded_signature()?.as_deref() == Some(want.as_str()) {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction()
            .map_err(|e| super::sql_err(&self.path, e))?;
        let err = |e| super::sql_err(&self.path, e);
        let have: Option<String> = tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [META_KEY], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err)?;
        if have.as_deref() == Some(want.as_str()) {
            return Ok(());
        }
        let any: bool = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM articles)", [], |r| r.get(0))
            .map_err(err)?;
        if any {
            let changed = rekey(&tx, have.as_deref().unwrap_or_default(), &want).map_err(err)?;
            tracing::info!(
                archive = %self.path.display(),
                articles = changed,
                "regional names re-keyed in the search index"
            );
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [META_KEY, want.as_str()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Whether the index was keyed with another table than this build's; an unreadable
    /// record counts as current, so that a reader is never stopped by it.
    pub(super) fn keys_outdated(&self) -> bool {
        let want = crate::search::aliases::index_signature();
        self.recorded_signature()
            .is_ok_and(|have| have.as_deref() != Some(want.as_str()))
    }

    fn recorded_signature(&self) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [META_KEY], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }
}

/// Recomputes the stems column of every article that holds a form of either table (or
/// an old key), and returns how many changed.
fn rekey(tx: &super::db::Transaction, old: &str, new: &str) -> super::db::Result<usize> {
    let (mut forms, old_keys) = crate::search::aliases::signature_forms(old);
    let (new_forms, _) = crate::search::aliases::signature_forms(new);
    forms.extend(new_forms);
    forms.sort();
    forms.dedup();
    let mut alternatives: Vec<String> = forms
        .iter()
        .map(|f| crate::search::query::quote(f))
        .collect();
    alternatives.extend(
        old_keys
            .iter()
            .map(|k| format!("stems : {}", crate::search::query::quote(k))),
    );
    if alternatives.is_empty() {
        return Ok(0);
    }
    let expression = alternatives.join(" OR ");
    // The ids first: the updates below rewrite the index the match reads.
    let (sql, expression) = if tx.is_pg() {
        (
            "SELECT id FROM articles WHERE fts @@ ?1::text::tsquery",
            super::pg_search::tsquery(&expression),
        )
    } else {
        (
            "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1",
            expression,
        )
    };
    let ids: Vec<i64> = tx
        .prepare(sql)?
        .query_map([expression], |r| r.get(0))?
        .collect::<super::db::Result<_>>()?;
    let mut select =
        tx.prepare("SELECT language, title, body, stems FROM articles WHERE id = ?1")?;
    let mut update = tx.prepare("UPDATE articles SET stems = ?2 WHERE id = ?1")?;
    let mut changed = 0;
    for id in ids {
        let (language, title, body, stems): (Option<String>, String, String, String) =
            select.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        let fresh = crate::stem::article_stems(language.as_deref(), &title, &body);
        if fresh != stems {
            update.execute(super::db::params![id, fresh])?;
            if tx.is_pg() {
                super::pg_search::reindex(tx, id)?;
            }
            // Only the keys are new words; the roots were counted when the article was
            // written, and counting them again would skew the prefix expansions.
            let keys = crate::search::aliases::index_keys(&format!("{title}\n{body}")).join(" ");
            super::vocab::note_words(tx, &[&keys])?;
            changed += 1;
        }
    }
    Ok(changed)
}
