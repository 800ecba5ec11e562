//! Charts as SVG, drawn on the server with plotters: black on white, so they read without
//! colour, with the numbers also in a table beside them for screen readers.

use plotters::prelude::*;

type Drawn = Result<(), Box<dyn std::error::Error>>;

/// The SVG `draw` makes on a white area of `size`, named `aria`; empty when plotters fails.
fn svg(
    size: (u32, u32),
    aria: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Drawn,
) -> String {
    let mut out = String::new();
    let drawn = (|| -> Drawn {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
        Ok(())
    })();
    match drawn {
        Ok(()) => labelled(&out, aria),
        Err(_) => String::new(),
    }
}

/// The height of the tallest bar, at least 1, and the number of bars, at least 1.
fn extent(counts: &[i64]) -> (i64, u32) {
    (
        counts.iter().copied().max().unwrap_or(0).max(1),
        u32::try_from(counts.len().max(1)).unwrap_or(u32::MAX),
    )
}

/// Bars of `counts` (one a day, oldest first), `labels` naming the first and last day.
pub fn per_day(counts: &[i64], (first, last): (&str, &str), aria: &str) -> String {
    let (top, n) = extent(counts);
    svg((720, 220), aria, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(8)
            // Room for the last day's label, centred under the last bar.
            .margin_right(40)
            .x_label_area_size(22)
            .y_label_area_size(40)
            .build_cartesian_2d((0u32..n).into_segmented(), 0i64..top + top / 10 + 1)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n as usize)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(0) | SegmentValue::Exact(0) => first.to_string(),
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) if *i + 1 == n => {
                    last.to_string()
                }
                _ => String::new(),
            })
            .y_labels(5)
            .label_style(("sans-serif", 13))
            .draw()?;
        chart.draw_series(
            Histogram::vertical(&chart)
                .style(BLACK.filled())
                .margin(1)
                .data(counts.iter().enumerate().map(|(i, c)| (i as u32, *c))),
        )?;
        Ok(())
    })
}

/// A small line of bars, no axes: a feed's articles a day in a table cell.
pub fn sparkline(counts: &[i64], aria: &str) -> String {
    let (top, n) = extent(counts);
    svg((120, 24), aria, |root| {
        let mut chart =
            ChartBuilder::on(root).build_cartesian_2d((0u32..n).into_segmented(), 0i64..top)?;
        chart.draw_series(
            Histogram::vertical(&chart)
                .style(BLACK.filled())
                .margin(0)
                .data(counts.iter().enumerate().map(|(i, c)| (i as u32, *c))),
        )?;
        Ok(())
    })
}

/// The SVG as an image with a name, for screen readers and as a tooltip.
fn labelled(svg: &str, aria: &str) -> String {
    let name = aria
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{name}\" class=\"chart\" "),
        1,
    )
    .replacen('>', &format!("><title>{name}</title>"), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_svg_with_a_name_and_a_bar_a_day() {
        let svg = per_day(
            &[1, 0, 5, 2],
            ("2026-12-01", "2026-12-04"),
            "Artikel <per> hari",
        );
        assert!(
            svg.starts_with("<svg role=\"img\" aria-label=\"Artikel &lt;per&gt; hari\""),
            "{svg}"
        );
        assert!(svg.contains("<title>Artikel &lt;per&gt; hari</title>"));
        assert!(svg.contains("2026-12-01") && svg.contains("2026-12-04"));
        assert!(!svg.contains("<script"));
        let spark = sparkline(&[0, 3, 1], "3 days");
        assert!(spark.contains("<rect"), "{spark}");
    }
}
