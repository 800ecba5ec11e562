//! The pages of one benchmark folder (`ground-truth.json` and `html/<id>.html.gz`), in id
//! order, as the examples that replay them read them. Included by path.

use std::io::Read;
use std::path::Path;

/// Calls `f` with each page's id, its URL from the ground truth, and its decompressed bytes.
pub fn each_page(
    dir: &Path,
    mut f: impl FnMut(&str, Option<url::Url>, Vec<u8>) -> Result<(), String>,
) -> Result<(), String> {
    let truth_path = dir.join("ground-truth.json");
    let truth_text = std::fs::read_to_string(&truth_path)
        .map_err(|e| format!("{}: {e}", truth_path.display()))?;
    let truth: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&truth_text).map_err(|e| format!("{}: {e}", truth_path.display()))?;
    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();
    for id in ids {
        let path = dir.join("html").join(format!("{id}.html.gz"));
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let url = truth[id]["url"]
            .as_str()
            .and_then(|u| url::Url::parse(u).ok());
        f(id, url, bytes)?;
    }
    Ok(())
}
