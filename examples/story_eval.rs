//! Evaluates the "same story" decision (`dedup::minhash::same_story`) on the labelled set in
//! tests/fixtures/stories (see its `eval.rs` for what the set holds and how it is built):
//! pair counts by kind, pairwise precision and recall at the thresholds in use, with and
//! without the LSH band index in front (the store only compares candidates that share a
//! band), a curve around the thresholds, and the misclassified pairs by kind.
//!
//! Usage: `cargo run --release --example story_eval [-- --list | --errors N]`. `--list`
//! prints the pair list (kind, label, sources) as TSV instead; `--errors N` shows up to N
//! misclassified pairs of each kind (default 3).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use warta::dedup::minhash::{self, Signature, THRESHOLDS, Thresholds};

#[path = "../tests/fixtures/stories/eval.rs"]
mod eval;

fn main() {
    if let Err(e) = run() {
        eprintln!("story_eval: {e}");
        std::process::exit(1);
    }
}

struct Scored<'a> {
    pair: &'a eval::Pair,
    a: Option<&'a Signature>,
    b: Option<&'a Signature>,
    candidate: bool,
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut list = false;
    let mut shown = 3usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--list" => list = true,
            "--errors" => {
                shown = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--errors needs a number")?
            }
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let set = eval::build(Path::new(env!("CARGO_MANIFEST_DIR")))?;
    if list {
        println!("kind\tsame\tsource\ta\tb");
        for p in &set.pairs {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                p.kind, p.same, p.source, p.a_name, p.b_name
            );
        }
        return Ok(());
    }
    let mut sigs: HashMap<&str, Option<Signature>> = HashMap::new();
    for p in &set.pairs {
        for t in [&p.a, &p.b] {
            sigs.entry(t.as_str())
                .or_insert_with(|| minhash::signature(t));
        }
    }
    let scored: Vec<Scored> = set
        .pairs
        .iter()
        .map(|pair| {
            let a = sigs.get(pair.a.as_str()).and_then(Option::as_ref);
            let b = sigs.get(pair.b.as_str()).and_then(Option::as_ref);
            let candidate = match (a, b) {
                (Some(a), Some(b)) => {
                    let bb = b.bands();
                    a.bands().iter().any(|x| bb.contains(x))
                }
                _ => false,
            };
            Scored {
                pair,
                a,
                b,
                candidate,
            }
        })
        .collect();

    println!(
        "evaluation set: {} pairs from {} regional texts and {} benchmark pages",
        set.pairs.len(),
        set.regional_texts,
        set.benchmark_pages
    );
    let mut kinds: BTreeMap<(&str, &str), Vec<&Scored>> = BTreeMap::new();
    for s in &scored {
        kinds
            .entry((s.pair.kind.as_str(), s.pair.source))
            .or_default()
            .push(s);
    }
    println!(
        "\n{:<24} {:<6} {:>6} {:>6}   {:<17} {:<17}",
        "kind", "source", "pairs", "short", "Jaccard min/med/max", "containment"
    );
    for ((kind, source), list) in &kinds {
        let short = list.iter().filter(|s| is_short(s, &THRESHOLDS)).count();
        let sims: Vec<minhash::Similarity> = list
            .iter()
            .filter_map(|s| Some(minhash::compare(s.a?, s.b?)))
            .collect();
        let spread = |f: fn(&minhash::Similarity) -> f64| {
            let mut v: Vec<f64> = sims.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            match (v.first(), v.get(v.len() / 2), v.last()) {
                (Some(lo), Some(mid), Some(hi)) => format!("{lo:.2} {mid:.2} {hi:.2}"),
                _ => "-".to_string(),
            }
        };
        println!(
            "{kind:<24} {source:<6} {:>6} {short:>6}   {:<17} {:<17}",
            list.len(),
            spread(|s| s.jaccard),
            spread(|s| s.containment)
        );
    }
    let pos = scored.iter().filter(|s| s.pair.same).count();
    println!(
        "{:<31} {:>6}\n{:<31} {:>6}",
        "same story (positives)",
        pos,
        "different (negatives)",
        scored.len() - pos
    );

    println!("\nat the thresholds in use: {THRESHOLDS:?}");
    println!(
        "\n{:<34} {:>9} {:>9} {:>5} {:>5}",
        "", "precision", "recall", "FP", "FN"
    );
    for (label, with_index, only_short) in [
        ("decision (every pair compared)", false, false),
        ("decision behind the LSH index", true, false),
        ("short bodies, behind the index", true, true),
    ] {
        let subset: Vec<&Scored> = scored
            .iter()
            .filter(|s| !only_short || is_short(s, &THRESHOLDS))
            .collect();
        let m = measure(&subset, &THRESHOLDS, with_index);
        println!(
            "{label:<34} {:>9.4} {:>9.4} {:>5} {:>5}",
            m.precision(),
            m.recall(),
            m.fp,
            m.fn_
        );
    }

    println!("\ncurve (behind the LSH index):");
    println!(
        "{:<44} {:>9} {:>9} {:>5} {:>5}",
        "J, C with J≥, short J, short C <short below", "precision", "recall", "FP", "FN"
    );
    let all: Vec<&Scored> = scored.iter().collect();
    for t in curve() {
        let m = measure(&all, &t, true);
        let mark = if t == THRESHOLDS { "  ◀ in use" } else { "" };
        println!(
            "{:<44} {:>9.4} {:>9.4} {:>5} {:>5}{mark}",
            format!(
                "J {:.2}, C {:.2} with J {:.2}, {:.2}, {:.2} <{}",
                t.jaccard,
                t.containment,
                t.containment_jaccard,
                t.short_jaccard,
                t.short_containment,
                t.short_shingles
            ),
            m.precision(),
            m.recall(),
            m.fp,
            m.fn_
        );
    }

    println!("\nmisclassified pairs by kind (behind the index):");
    let mut errors: BTreeMap<&str, Vec<&Scored>> = BTreeMap::new();
    for s in &scored {
        if joined(s, &THRESHOLDS, true) != s.pair.same {
            errors.entry(s.pair.kind.as_str()).or_default().push(s);
        }
    }
    if errors.is_empty() {
        println!("  none");
    }
    for (kind, list) in &errors {
        println!("  {kind}: {}", list.len());
        for s in list.iter().take(shown) {
            let (sim, sizes) = match (s.a, s.b) {
                (Some(a), Some(b)) => {
                    let c = minhash::compare(a, b);
                    (
                        format!("J {:.2} C {:.2}", c.jaccard, c.containment),
                        format!("{}/{} shingles", a.shingles, b.shingles),
                    )
                }
                _ => ("no signature".to_string(), String::new()),
            };
            println!(
                "    {sim} {sizes} candidate={} | {} ~ {}",
                s.candidate, s.pair.a_name, s.pair.b_name
            );
        }
    }
    Ok(())
}

fn is_short(s: &Scored, t: &Thresholds) -> bool {
    match (s.a, s.b) {
        (Some(a), Some(b)) => a.shingles.min(b.shingles) < t.short_shingles,
        _ => true,
    }
}

fn joined(s: &Scored, t: &Thresholds, with_index: bool) -> bool {
    match (s.a, s.b) {
        (Some(a), Some(b)) => {
            (!with_index || s.candidate) && minhash::same_story_at(a, b, t).is_some()
        }
        _ => false,
    }
}

#[derive(Default)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

fn measure(scored: &[&Scored], t: &Thresholds, with_index: bool) -> Counts {
    let mut c = Counts::default();
    for s in scored {
        match (joined(s, t, with_index), s.pair.same) {
            (true, true) => c.tp += 1,
            (true, false) => c.fp += 1,
            (false, true) => c.fn_ += 1,
            (false, false) => {}
        }
    }
    c
}

/// The thresholds in use, each main parameter moved down and up by a step.
fn curve() -> Vec<Thresholds> {
    let base = THRESHOLDS;
    let mut out = vec![base];
    for d in [-0.2, -0.1, 0.1, 0.2] {
        out.push(Thresholds {
            jaccard: base.jaccard + d,
            short_jaccard: base.short_jaccard + d,
            ..base
        });
    }
    for d in [-0.2, -0.1, 0.05] {
        out.push(Thresholds {
            containment: base.containment + d,
            short_containment: (base.short_containment + d).min(1.0),
            ..base
        });
    }
    for d in [-0.15, -0.1, 0.1, 0.2] {
        out.push(Thresholds {
            containment_jaccard: base.containment_jaccard + d,
            ..base
        });
    }
    out.push(Thresholds {
        short_shingles: 0,
        ..base
    });
    out
}
