//! The policy document editor: a plain textarea (so the form posts without wasm), with
//! the engine's findings underlined in place once the page is live, the findings
//! listed with line and column, and the summary of what the document grants.

use leptos::html;
use leptos::prelude::*;

use crate::api::policies::{check_policy, FindingRow, PolicyCheck, SummaryRow};

/// The text split at the findings: plain runs and underlined runs.
fn marked(text: &str, findings: &[FindingRow]) -> Vec<AnyView> {
    let mut spans: Vec<&FindingRow> = findings.iter().collect();
    spans.sort_by_key(|f| (f.start, f.end));
    let mut views = Vec::new();
    let mut at = 0;
    for finding in spans {
        let start = finding.start.max(at);
        if start > text.len() || !text.is_char_boundary(start) {
            continue;
        }
        // A finding at a point (a missing member) underlines the next character.
        let mut end = finding.end.max(start).min(text.len());
        if end == start {
            end = text[start..]
                .chars()
                .next()
                .map_or(start, |c| start + c.len_utf8());
        }
        if !text.is_char_boundary(end) || end == start {
            continue;
        }
        views.push(text[at..start].to_string().into_any());
        let class = format!("finding {}", finding.severity);
        views.push(
            view! { <mark class=class title=finding.message.clone()>{text[start..end].to_string()}</mark> }
                .into_any(),
        );
        at = end;
    }
    views.push(format!("{}\n", &text[at..]).into_any());
    views
}

/// A document field named `document`, checked as you type.
#[component]
pub fn PolicyEditor(initial: String) -> impl IntoView {
    let text = RwSignal::new(initial);
    // Each check returns the text it checked, so stale offsets never mark newer text.
    let check = Action::new(|document: &String| {
        let document = document.clone();
        async move {
            let result = check_policy(document.clone()).await;
            (document, result)
        }
    });
    let checked = RwSignal::new(None::<(String, PolicyCheck)>);
    Effect::new(move |_| {
        if let Some((document, Ok(result))) = check.value().get() {
            checked.set(Some((document, result)));
        }
    });
    let area = NodeRef::<html::Textarea>::new();
    // Check the document once the page is live: what was typed before the wasm
    // loaded, or the starting document. The textarea is never overwritten, so
    // hydration cannot undo early typing.
    Effect::new(move |_| {
        if let Some(area) = area.get() {
            let typed = area.value();
            if typed != text.get_untracked() {
                text.set(typed);
            }
        }
        check.dispatch(text.get_untracked());
    });
    let mut later = leptos::leptos_dom::helpers::debounce(
        std::time::Duration::from_millis(250),
        move |document: String| {
            check.dispatch(document);
        },
    );
    let backdrop = NodeRef::<html::Pre>::new();
    let underlay = move || {
        let current = text.get();
        checked.with(|c| match c {
            Some((document, result)) if *document == current => marked(&current, &result.findings),
            _ => vec![format!("{current}\n").into_any()],
        })
    };
    let findings = move || {
        checked.with(|c| {
            c.as_ref().map(|(_, result)| {
                let count = result.findings.len();
                let size = format!("{} of {} characters", result.size, result.limit);
                let rows = result
                    .findings
                    .iter()
                    .map(|f| {
                        view! {
                            <li class=format!("finding-row {}", f.severity)>
                                <span class="where">{format!("{}:{}", f.line, f.column)}</span>
                                <span class="severity">{f.severity.replace('-', " ")}</span>
                                <span>{f.message.clone()}</span>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="findings" data-testid="policy-findings" aria-live="polite">
                        <p class="hint">
                            {if count == 0 { "No findings. ".to_string() } else { format!("{count} finding{}. ", if count == 1 { "" } else { "s" }) }}
                            {size}
                        </p>
                        <ul>{rows}</ul>
                    </div>
                    <PolicySummary rows=result.summary.clone() unrecognized=result.unrecognized.clone()/>
                }
            })
        })
    };
    view! {
        <div class="policy-editor">
            <pre class="backdrop" aria-hidden="true" node_ref=backdrop>{underlay}</pre>
            <textarea
                id="document"
                name="document"
                spellcheck="false"
                autocomplete="off"
                rows="18"
                aria-describedby="document-help"
                node_ref=area
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    text.set(value.clone());
                    later(value);
                }
                on:scroll=move |ev| {
                    if let Some(pre) = backdrop.get() {
                        let area = event_target::<leptos::web_sys::Element>(&ev);
                        pre.set_scroll_top(area.scroll_top());
                        pre.set_scroll_left(area.scroll_left());
                    }
                }
            >{text.get_untracked()}</textarea>
        </div>
        <p id="document-help" class="hint">"JSON in the AWS policy grammar. Findings are underlined as you type."</p>
        {findings}
    }
}

/// What a document grants, per service, as AWS's policy summary shows it.
#[component]
pub fn PolicySummary(rows: Vec<SummaryRow>, unrecognized: Vec<String>) -> impl IntoView {
    let unrecognized = (!unrecognized.is_empty()).then(|| {
        view! { <p class="hint">"Grants nothing (unknown): " <code>{unrecognized.join(", ")}</code></p> }
    });
    if rows.is_empty() {
        return view! { <section class="summary-table"><h3>"Summary"</h3><p class="hint">"Nothing is granted or denied."</p>{unrecognized}</section> }.into_any();
    }
    let lines = rows
        .into_iter()
        .map(|r| {
            let deny = r.effect == "Deny";
            view! {
                <tr class:deny=deny>
                    <td>{if deny { "Explicit deny" } else { "Allow" }}</td>
                    <td>{r.service}</td>
                    <td>{r.access}</td>
                    <td>{r.resources}</td>
                    <td>{r.conditions}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="summary-table" data-testid="policy-summary">
            <h3>"Summary"</h3>
            <table class="data">
                <thead><tr><th scope="col">"Effect"</th><th scope="col">"Service"</th><th scope="col">"Access level"</th><th scope="col">"Resource"</th><th scope="col">"Request condition"</th></tr></thead>
                <tbody>{lines}</tbody>
            </table>
            {unrecognized}
        </section>
    }
    .into_any()
}
