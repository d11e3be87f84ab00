//! Charts drawn as SVG on the server: a `viewBox` and CSS width, never measured in
//! the browser, so the server's markup and the hydrated markup are the same and the
//! numbers show before (or without) the wasm. Each chart is an image with a title
//! and carries a visually hidden table of the same numbers; each mark has a tooltip
//! and takes keyboard focus. Colours are the Okabe–Ito palette, safe for colour-blind
//! readers; Unallocated is always grey.

use leptos::prelude::*;

/// Okabe–Ito, without yellow (too pale on white).
const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
];
const UNALLOCATED_COLOUR: &str = "#8c8c8c";

/// One value to draw; `text` is what people read (exact money), `value` only sizes
/// the mark.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub label: String,
    pub value: f64,
    pub text: String,
    pub muted: bool,
}

impl Mark {
    pub fn new(label: impl Into<String>, amount: &str, muted: bool) -> Mark {
        Mark {
            label: label.into(),
            value: amount.trim().parse::<f64>().unwrap_or(0.0),
            text: model::costs::money(amount),
            muted,
        }
    }
}

fn colour(index: usize, muted: bool) -> &'static str {
    if muted {
        UNALLOCATED_COLOUR
    } else {
        PALETTE
            .get(index % PALETTE.len())
            .copied()
            .unwrap_or("#0072B2")
    }
}

/// The same numbers as a table for screen readers.
fn hidden_table(caption: String, marks: &[Mark]) -> impl IntoView {
    view! {
        <table class="visually-hidden">
            <caption>{caption}</caption>
            <tbody>
                {marks.iter().map(|m| view! { <tr><th scope="row">{m.label.clone()}</th><td>{m.text.clone()}</td></tr> }).collect_view()}
            </tbody>
        </table>
    }
}

/// Horizontal bars, largest first as given: spend per group.
#[component]
pub fn BarChart(
    id: &'static str,
    title: String,
    marks: Vec<Mark>,
    currency: String,
) -> impl IntoView {
    let row = 30.0;
    let height = (marks.len() as f64 * row).max(row) + 4.0;
    let max = marks
        .iter()
        .map(|m| m.value)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let title_id = format!("{id}-title");
    let labelled = title_id.clone();
    let bars = marks
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let y = i as f64 * row + 2.0;
            let width = (m.value.max(0.0) / max * 330.0).max(1.0);
            let tip = format!("{}: {} {currency}", m.label, m.text);
            let label = tip.clone();
            view! {
                <g class="mark" tabindex="0" role="listitem" aria-label=label>
                    <title>{tip}</title>
                    <text x="0" y=y + 19.0 class="chart-label">{truncate(&m.label, 22)}</text>
                    <rect x="170" y=y + 4.0 width=format!("{width:.1}") height="20" rx="2" fill=colour(i, m.muted)/>
                    <text x=format!("{:.1}", 176.0 + width) y=y + 19.0 class="chart-value">{m.text.clone()}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" id=id>
            <svg viewBox=format!("0 0 620 {height:.0}") role="img" aria-labelledby=labelled preserveAspectRatio="xMinYMin meet">
                <title id=title_id>{title.clone()}</title>
                <g role="list">{bars}</g>
            </svg>
            {hidden_table(title, &marks)}
        </figure>
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(max - 1).collect();
        short.push('…');
        short
    }
}

/// A budget gauge: spend so far against the amount, with the forecast and its range
/// marked.
#[component]
pub fn Gauge(
    id: String,
    title: String,
    actual: f64,
    forecast: f64,
    low: f64,
    high: f64,
    amount: f64,
) -> impl IntoView {
    let scale = amount
        .max(forecast)
        .max(high)
        .max(actual)
        .max(f64::MIN_POSITIVE)
        * 1.05;
    let x = |v: f64| format!("{:.1}", (v.max(0.0) / scale * 600.0).min(600.0));
    let fill = if actual >= amount {
        "#D55E00"
    } else if forecast >= amount {
        "#E69F00"
    } else {
        "#009E73"
    };
    let title_id = format!("{id}-title");
    let labelled = title_id.clone();
    view! {
        <svg class="gauge" viewBox="0 0 620 44" role="img" aria-labelledby=labelled preserveAspectRatio="xMinYMin meet">
            <title id=title_id>{title}</title>
            <rect x="0" y="10" width="600" height="18" fill="#eef1f5" rx="3"/>
            <rect x="0" y="10" width=x(actual) height="18" fill=fill rx="3"/>
            <rect x=x(low) y="6" width=format!("{:.1}", ((high - low).max(0.0) / scale * 600.0).max(1.0)) height="26" fill="none" stroke="#555" stroke-dasharray="3 2"/>
            <line x1=x(forecast) x2=x(forecast) y1="4" y2="34" stroke="#111" stroke-width="2"/>
            <line x1=x(amount) x2=x(amount) y1="0" y2="40" stroke="#0072B2" stroke-width="3"/>
        </svg>
    }
}

/// One series' amount on one day of a stacked chart.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedColumn {
    pub label: String,
    /// One mark per series, in the order of the series.
    pub marks: Vec<Mark>,
}

/// Columns over time, each stacked by series (services), with a legend.
#[component]
pub fn StackedColumns(
    id: &'static str,
    title: String,
    series: Vec<String>,
    columns: Vec<StackedColumn>,
    currency: String,
) -> impl IntoView {
    let (width, base) = (620.0, 160.0);
    let totals: Vec<f64> = columns
        .iter()
        .map(|c| c.marks.iter().map(|m| m.value.max(0.0)).sum())
        .collect();
    let max = totals
        .iter()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let step = width / (columns.len().max(1) as f64);
    let title_id = format!("{id}-title");
    let labelled = title_id.clone();
    let muted = |name: &str| {
        matches!(name, "Other services" | "Other groups") || name == model::costs::UNALLOCATED
    };
    let stacks = columns
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let mut top = base;
            column
                .marks
                .iter()
                .enumerate()
                .filter(|(_, m)| m.value > 0.0)
                .map(|(s, m)| {
                    let h = m.value / max * (base - 10.0);
                    top -= h;
                    let name = series.get(s).cloned().unwrap_or_default();
                    let tip = format!("{} · {name}: {} {currency}", column.label, m.text);
                    let label = tip.clone();
                    view! {
                        <g class="mark" tabindex="0" role="listitem" aria-label=label>
                            <title>{tip}</title>
                            <rect x=format!("{:.1}", i as f64 * step + 1.0) y=format!("{top:.1}")
                                width=format!("{:.1}", (step - 2.0).max(1.0)) height=format!("{:.1}", h.max(0.5))
                                fill=colour(s, muted(&name))/>
                        </g>
                    }
                })
                .collect_view()
        })
        .collect_view();
    let first = columns.first().map(|c| c.label.clone()).unwrap_or_default();
    let last = columns.last().map(|c| c.label.clone()).unwrap_or_default();
    let legend = series
        .iter()
        .enumerate()
        .map(|(s, name)| {
            view! {
                <li><span class="swatch" style=format!("background:{}", colour(s, muted(name)))></span>{name.clone()}</li>
            }
        })
        .collect_view();
    let header = series.clone();
    view! {
        <figure class="chart" id=id>
            <svg viewBox=format!("0 0 {width} 180") role="img" aria-labelledby=labelled preserveAspectRatio="xMinYMin meet">
                <title id=title_id>{title.clone()}</title>
                <g role="list">{stacks}</g>
                <line x1="0" y1=base x2=width y2=base class="axis"/>
                <text x="0" y="176" class="chart-label">{first}</text>
                <text x=width y="176" class="chart-label" text-anchor="end">{last}</text>
            </svg>
            <ul class="legend">{legend}</ul>
            <table class="visually-hidden">
                <caption>{title}</caption>
                <thead><tr><th scope="col">"Day"</th>{header.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {columns.into_iter().map(|c| view! {
                        <tr><th scope="row">{c.label}</th>{c.marks.into_iter().map(|m| view! { <td>{m.text}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}

/// Shares of a whole as a ring: services of a group's spend.
#[component]
pub fn Donut(id: &'static str, title: String, marks: Vec<Mark>, currency: String) -> impl IntoView {
    let radius = 60.0_f64;
    let circumference = 2.0 * std::f64::consts::PI * radius;
    let total: f64 = marks
        .iter()
        .map(|m| m.value.max(0.0))
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let title_id = format!("{id}-title");
    let labelled = title_id.clone();
    let mut offset = 0.0;
    let rings = marks
        .iter()
        .enumerate()
        .filter(|(_, m)| m.value > 0.0)
        .map(|(i, m)| {
            let length = m.value / total * circumference;
            let dash = format!("{length:.2} {:.2}", (circumference - length).max(0.0));
            let start = format!("{:.2}", -offset);
            offset += length;
            let share = m.value / total * 100.0;
            let tip = format!("{}: {} {currency} ({share:.1} %)", m.label, m.text);
            let label = tip.clone();
            view! {
                <circle class="mark" tabindex="0" role="listitem" aria-label=label cx="80" cy="80" r=radius fill="none"
                    stroke=colour(i, m.muted) stroke-width="28" stroke-dasharray=dash stroke-dashoffset=start
                    transform="rotate(-90 80 80)">
                    <title>{tip}</title>
                </circle>
            }
        })
        .collect_view();
    let legend = marks
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let share = m.value.max(0.0) / total * 100.0;
            view! {
                <li><span class="swatch" style=format!("background:{}", colour(i, m.muted))></span>{format!("{} · {share:.1} %", m.label)}</li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart donut" id=id>
            <svg viewBox="0 0 160 160" role="img" aria-labelledby=labelled>
                <title id=title_id>{title.clone()}</title>
                <g role="list">{rings}</g>
            </svg>
            <ul class="legend">{legend}</ul>
            {hidden_table(title, &marks)}
        </figure>
    }
}

/// A small line of daily values beside a number: its trend at a glance.
#[component]
pub fn Sparkline(title: String, values: Vec<f64>) -> impl IntoView {
    let (width, height) = (120.0, 30.0);
    let max = values
        .iter()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let step = width / ((values.len().max(2) - 1) as f64);
    let points = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                height - 2.0 - v.max(0.0) / max * (height - 4.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let label = title.clone();
    view! {
        <svg class="sparkline" viewBox=format!("0 0 {width} {height}") role="img" aria-label=label>
            <title>{title}</title>
            <polyline points=points fill="none" stroke="#0072B2" stroke-width="1.5"/>
        </svg>
    }
}
