//! The allocation rules as a list to put in order, by dragging a rule or from the
//! keyboard (Alt+↑ / Alt+↓ on a focused rule, or its buttons). A move rewrites the
//! rule set's JSON in the editor, so a new order is previewed and saved like any other
//! edit; without the wasm the list is read-only and the JSON stays editable.

use leptos::html::Textarea;
use leptos::prelude::*;
use serde_json::Value;

/// One rule in the list: its name and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    pub name: String,
    pub description: String,
}

/// Moves rule `from` to position `to` in the rule set `text`, keeping every field.
pub fn reorder(text: &str, from: usize, to: usize) -> Result<String, String> {
    let mut set: Value =
        serde_json::from_str(text).map_err(|e| format!("Fix the rule set's JSON first ({e})."))?;
    let rules = set
        .get_mut("rules")
        .and_then(Value::as_array_mut)
        .ok_or("The rule set needs a \"rules\" list.")?;
    if from >= rules.len() || to >= rules.len() {
        return Err("There is no rule at that position.".into());
    }
    let rule = rules.remove(from);
    rules.insert(to, rule);
    serde_json::to_string_pretty(&set).map_err(|e| e.to_string())
}

/// The rows of the rule set `text`, described as the server described them (`known`);
/// a rule edited since is described by its JSON until saved.
pub fn rows_of(text: &str, known: &[(String, String)]) -> Option<Vec<RuleRow>> {
    let set: Value = serde_json::from_str(text).ok()?;
    let rules = set.get("rules")?.as_array()?;
    Some(
        rules
            .iter()
            .map(|rule| {
                let name = rule
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let description = known
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, d)| d.clone())
                    .unwrap_or_else(|| {
                        format!(
                            "Edited: when {} then {}",
                            rule.get("when").map(Value::to_string).unwrap_or_default(),
                            rule.get("then").map(Value::to_string).unwrap_or_default()
                        )
                    });
                RuleRow { name, description }
            })
            .collect(),
    )
}

#[component]
pub fn RuleOrder(rows: RwSignal<Vec<RuleRow>>, document: NodeRef<Textarea>) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let dragging = RwSignal::new(None::<String>);
    let status = RwSignal::new(String::new());
    let position =
        move |name: &str| rows.with_untracked(|r| r.iter().position(|row| row.name == name));
    let move_to = move |name: String, to: usize| {
        let (Some(from), Some(area)) = (position(&name), document.get_untracked()) else {
            return;
        };
        let count = rows.with_untracked(Vec::len);
        if to >= count || from == to {
            return;
        }
        match reorder(&area.value(), from, to) {
            Ok(text) => {
                area.set_value(&text);
                rows.update(|r| {
                    let row = r.remove(from);
                    r.insert(to, row);
                });
                status.set(format!("Moved {name} to position {} of {count}.", to + 1));
            }
            Err(message) => status.set(message),
        }
    };
    view! {
        <ol class="rule-order" data-testid="rule-order" aria-describedby="rule-order-help">
            <For each=move || rows.get() key=|row| row.name.clone() let:row>
                {
                    let name = row.name.clone();
                    let (up, down, key, start, drop) = (name.clone(), name.clone(), name.clone(), name.clone(), name.clone());
                    view! {
                        <li tabindex="0" draggable="true" aria-roledescription="rule you can move"
                            aria-label=format!("{}: {}", row.name, row.description)
                            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                                let Some(at) = position(&key) else { return };
                                match (ev.alt_key(), ev.key().as_str()) {
                                    (true, "ArrowUp") if at > 0 => { ev.prevent_default(); move_to(key.clone(), at - 1) }
                                    (true, "ArrowDown") => { ev.prevent_default(); move_to(key.clone(), at + 1) }
                                    _ => {}
                                }
                            }
                            on:dragstart=move |ev: leptos::ev::DragEvent| {
                                if let Some(data) = ev.data_transfer() {
                                    let _ = data.set_data("text/plain", &start);
                                }
                                dragging.set(Some(start.clone()));
                            }
                            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                            on:drop=move |ev: leptos::ev::DragEvent| {
                                ev.prevent_default();
                                if let (Some(from), Some(to)) = (dragging.get_untracked(), position(&drop)) {
                                    move_to(from, to);
                                }
                                dragging.set(None);
                            }>
                            <span class="grip" aria-hidden="true">"⠿"</span>
                            <strong>{row.name.clone()}</strong>
                            <span class="hint">{row.description.clone()}</span>
                            <span class="spacer"></span>
                            <button type="button" class="link" aria-label=format!("Move {} up", row.name) disabled=move || !hydrated.get()
                                on:click=move |_| if let Some(at) = position(&up) { if at > 0 { move_to(up.clone(), at - 1) } }>"↑"</button>
                            <button type="button" class="link" aria-label=format!("Move {} down", row.name) disabled=move || !hydrated.get()
                                on:click=move |_| if let Some(at) = position(&down) { move_to(down.clone(), at + 1) }>"↓"</button>
                        </li>
                    }
                }
            </For>
        </ol>
        <p id="rule-order-help" class="hint">"First match wins. Drag a rule, or focus it and press Alt+↑ / Alt+↓, to change the order; then preview and save."</p>
        <p class="visually-hidden" role="status" aria-live="polite" data-testid="rule-order-status">{move || status.get()}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reordering_keeps_every_field() {
        let text = r#"{"rules":[{"name":"a","when":{"on":"any"},"then":{"to":"group","group":"A"}},{"name":"b","when":{"on":"any"},"then":{"to":"group","group":"B"}},{"name":"c","when":{"on":"any"},"then":{"to":"group","group":"C"}}]}"#;
        let moved = reorder(text, 2, 0).unwrap();
        let names: Vec<String> = rows_of(&moved, &[])
            .unwrap()
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["c", "a", "b"]);
        assert!(moved.contains("\"group\": \"C\""));
        assert!(reorder(text, 3, 0).is_err());
        assert!(reorder("{", 0, 1).unwrap_err().contains("JSON"));
        let known = [("a".to_string(), "When any, to group A".to_string())];
        let rows = rows_of(text, &known).unwrap();
        assert_eq!(rows[0].description, "When any, to group A");
        assert!(rows[1].description.starts_with("Edited: "));
    }
}
