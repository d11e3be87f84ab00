//! Spend: the overview of the groups the viewer may see, billing imports, and the
//! allocation rules. The period lives in the URL, so a view can be shared and the
//! back button works.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::group_spend::BudgetStandingView;
use super::rule_order::{rows_of, RuleOrder};
use super::uploader::Uploader;
use crate::api::costs::{
    cost_imports, cost_rules, load_budgets, load_spend, PreviewRules, RemoveBudget, RollBackImport,
    SaveRules, SetBudget,
};
use crate::charts::{BarChart, Mark, StackedColumn, StackedColumns};
use crate::components::{
    action_error, field, FieldError, FormError, Guard, GuardFor, LoadError, TextField,
};
use crate::error::AppError;
use model::costs::money;

#[component]
pub fn SpendPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let (from, to) = (get("from"), get("to"));
    let overview = Resource::new(move || (from(), to()), |(from, to)| load_spend(from, to));
    view! {
        <Title text="Spend · Portcullis"/>
        <h1>"Spend"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => {
                        let currency = o.currency.clone();
                        let bars: Vec<Mark> = o.groups.iter().map(|g| Mark::new(g.name.clone(), &g.billed, g.unallocated)).collect();
                        let columns: Vec<StackedColumn> = o.daily_by_group.iter().map(|d| StackedColumn {
                            label: d.label.clone(),
                            marks: d.amounts.iter().zip(&o.group_series).map(|(a, s)| Mark::new(s.clone(), a, s == model::costs::UNALLOCATED)).collect(),
                        }).collect();
                        let change = super::group_spend::change(&o.total, &o.previous);
                        let unallocated = o.groups.iter().find(|g| g.unallocated).map(|g| money(&g.billed));
                        let import_reason = o.refusals.reason("portcullis:ImportCosts");
                        let rules_reason = o.refusals.reason("ce:DescribeCostCategoryDefinition");
                        view! {
                            <form method="get" action="/spend" class="toolbar filters" role="search">
                                <label>"From "<input type="date" name="from" value=o.from.clone()/></label>
                                <label>"To "<input type="date" name="to" value=o.to.clone()/></label>
                                <button type="submit">"Show"</button>
                                <span class="spacer"></span>
                                <Guard reason=rules_reason action="ce:DescribeCostCategoryDefinition" compact=true>
                                    <a class="button secondary" href="/spend/rules">"Allocation rules"</a>
                                </Guard>
                                <a class="button secondary" href="/spend/explore">"Explorer"</a>
                                <a class="button secondary" href="/spend/budgets">"Budgets"</a>
                                <Guard reason=import_reason action="portcullis:ImportCosts" compact=true>
                                    <a class="button secondary" href="/spend/imports">"Import billing data"</a>
                                </Guard>
                            </form>
                            {(!o.alerts.is_empty()).then(|| view! {
                                <section class="banner warning" role="status" data-testid="spend-alerts">
                                    <h2>"Budget alerts"</h2>
                                    <ul>
                                        {o.alerts.iter().map(|a| view! {
                                            <li>{format!("{}: {} spend {} crossed {}% of the budget {}", a.group, a.kind, money(&a.value), a.threshold, money(&a.budget))}</li>
                                        }).collect_view()}
                                    </ul>
                                    <a href="/spend/budgets">"See budgets"</a>
                                </section>
                            })}
                            {
                                let mine: Vec<&str> = o.groups.iter().filter(|g| !g.unallocated).map(|g| g.name.as_str()).collect();
                                (!o.sees_everything && mine.len() == 1).then(|| {
                                    let name = mine.first().map(|n| n.to_string()).unwrap_or_default();
                                    view! {
                                        <p class="banner" data-testid="your-group">"Your group: "
                                            <a href=format!("/spend/groups/{name}?from={}&to={}", o.from, o.to)>{format!("{name}: budget, trend, breakdowns and rules →")}</a>
                                        </p>
                                    }
                                })
                            }
                            {(!o.has_data).then(|| view! {
                                <section class="banner" role="status" data-testid="no-spend">
                                    <h2>"No billing data yet"</h2>
                                    <p>"Import a FOCUS or AWS Cost and Usage Report file to see spend per group."</p>
                                </section>
                            })}
                            <section class="cards">
                                <div class="card" data-testid="spend-total">
                                    <h2>{if o.sees_everything { "Total spend" } else { "Spend of your groups" }}</h2>
                                    <p class="big">{money(&o.total)}" "<small>{currency.clone()}</small></p>
                                    <p class="hint">{format!("{} to {}", o.from, o.to)}</p>
                                </div>
                                <div class="card" data-testid="spend-change">
                                    <h2>"Same days last month"</h2>
                                    <p class="big">{money(&o.previous)}" "<small>{currency.clone()}</small></p>
                                    <p class=change.1>{change.0}</p>
                                </div>
                                {o.forecast.clone().map(|f| view! {
                                    <div class="card" data-testid="spend-forecast">
                                        <h2>"Month-end forecast"</h2>
                                        <p class="big">{money(&f)}" "<small>{currency.clone()}</small></p>
                                        <p class="hint">"At this month's daily run rate so far."</p>
                                    </div>
                                })}
                                {unallocated.map(|u| view! {
                                    <div class="card" data-testid="spend-unallocated">
                                        <h2>"Unallocated"</h2>
                                        <p class="big">{u}" "<small>{currency.clone()}</small></p>
                                        <p class="hint">"No rule placed these costs in a group."</p>
                                    </div>
                                })}
                            </section>
                            <section class="panel">
                                <h2>"Spend per group"</h2>
                                <BarChart id="spend-by-group" title=format!("Billed cost per group, {} to {}", o.from, o.to) marks=bars currency=currency.clone()/>
                                <table class="data" data-testid="spend-groups">
                                    <thead><tr><th scope="col">"Group"</th><th scope="col" class="num">"Billed"</th><th scope="col" class="num">"Effective"</th></tr></thead>
                                    <tbody>
                                        {o.groups.iter().map(|g| {
                                            let why = g.placed_by.iter().map(|(rule, amount)| format!("{rule}: {}", money(amount))).collect::<Vec<_>>().join("; ");
                                            view! {
                                            <tr class:unallocated=g.unallocated>
                                                <th scope="row" title=format!("Placed by {why}") tabindex="0">
                                                    {if g.unallocated {
                                                        view! { <span>{g.name.clone()}</span> }.into_any()
                                                    } else {
                                                        view! { <a href=format!("/spend/groups/{}?from={}&to={}", g.name, o.from, o.to)>{g.name.clone()}</a> }.into_any()
                                                    }}
                                                    <span class="visually-hidden">{format!(" (placed by {why})")}</span>
                                                </th>
                                                <td class="num" title=g.billed.clone()>{money(&g.billed)}</td>
                                                <td class="num" title=g.effective.clone()>{money(&g.effective)}</td>
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            <section class="panel">
                                <h2>"Daily spend by group"</h2>
                                <StackedColumns id="spend-by-day" title=format!("Billed cost per day and group, {} to {}", o.from, o.to)
                                    series=o.group_series.clone() columns=columns currency=currency.clone()/>
                            </section>
                            <section class="panel">
                                <h2>"Top services"</h2>
                                <table class="data" data-testid="spend-services">
                                    <thead><tr><th scope="col">"Service"</th><th scope="col" class="num">"Billed"</th><th scope="col" class="num">"Effective"</th></tr></thead>
                                    <tbody>
                                        {o.top_services.iter().map(|s| view! {
                                            <tr><th scope="row">{s.label.clone()}</th><td class="num">{money(&s.billed)}</td><td class="num">{money(&s.effective)}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                            <section class="panel">
                                <h2>"Top resources"</h2>
                                <table class="data" data-testid="spend-resources">
                                    <thead><tr><th scope="col">"Resource"</th><th scope="col" class="num">"Billed"</th><th scope="col" class="num">"Effective"</th></tr></thead>
                                    <tbody>
                                        {o.top_resources.iter().map(|s| view! {
                                            <tr><th scope="row"><code>{s.label.clone()}</code></th><td class="num">{money(&s.billed)}</td><td class="num">{money(&s.effective)}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn SpendImportsPage() -> impl IntoView {
    let roll_back = ServerAction::<RollBackImport>::new();
    let roll_back_error = action_error(roll_back.value());
    // Bumped when the hydrated uploader finishes, to reload the history.
    let refresh = RwSignal::new(0u32);
    let uploaded = RwSignal::new(None::<crate::api::costs::UploadOutcome>);
    let page = Resource::new(
        move || (roll_back.version().get(), refresh.get()),
        |_| cost_imports(),
    );
    view! {
        <Title text="Billing imports · Portcullis"/>
        <h1>"Billing imports"</h1>
        <p><a href="/spend">"← Spend"</a></p>
        <FormError error=roll_back_error/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((page, outcome)) => {
                        let import_reason = page.refusals.reason("portcullis:ImportCosts");
                        let roll_back_reason = page.refusals.reason("portcullis:RollBackCostImport");
                        view! {
                            {outcome.map(|o| view! {
                                <section class=if o.ok { "banner success" } else { "banner error" } role="status" data-testid="upload-outcome">
                                    <p>{o.message}</p>
                                    {(!o.rows.is_empty()).then(|| view! {
                                        <ul class="row-errors">{o.rows.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                                    })}
                                </section>
                            })}
                            <section class="panel">
                                <h2>"Import billing data"</h2>
                                <Guard reason=import_reason action="portcullis:ImportCosts">
                                    <Uploader on_done=move |_| refresh.update(|n| *n += 1) outcome=uploaded/>
                                </Guard>
                            </section>
                            <section class="panel">
                                <h2>"History"</h2>
                                <table class="data" data-testid="import-history">
                                    <thead><tr>
                                        <th scope="col">"#"</th><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Files"</th>
                                        <th scope="col" class="num">"Line items"</th><th scope="col" class="num">"Billed"</th><th scope="col">"Periods"</th><th scope="col">"State"</th><th scope="col"></th>
                                    </tr></thead>
                                    <tbody>
                                        {page.imports.into_iter().map(|i| {
                                            let reason = roll_back_reason.clone();
                                            let active = i.state == "active";
                                            view! {
                                                <tr>
                                                    <td>{i.id}</td><td>{i.imported_at}</td><td><code>{i.imported_by}</code></td><td>{i.files}</td>
                                                    <td class="num">{i.line_items}</td><td class="num">{money(&i.billed_total)}" "{i.currencies}</td>
                                                    <td>{i.periods}</td><td>{i.state}</td>
                                                    <td>{active.then(|| view! {
                                                        <Guard reason action="portcullis:RollBackCostImport" compact=true>
                                                            <ActionForm action=roll_back>
                                                                <input type="hidden" name="id" value=i.id/>
                                                                <button type="submit" class="link danger">"Roll back"</button>
                                                            </ActionForm>
                                                        </Guard>
                                                    })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

const RULES_HELP: &str = r#"{"rules": [
  {"name": "Vienna", "when": {"on": "tag", "key": "business_unit", "test": {"prefix": "Vienna"}},
   "then": {"to": "group", "group": "Vienna"}},
  {"name": "Creators", "when": {"on": "creator"}, "then": {"to": "creators_group"}},
  {"name": "Shared support", "when": {"on": "service", "test": {"one_of": ["AWS Support (Business)"]}},
   "then": {"to": "split", "groups": ["Web", "Data"], "method": {"percentages": ["60", "40"]}}}
]}"#;

#[component]
pub fn SpendRulesPage() -> impl IntoView {
    let save = ServerAction::<SaveRules>::new();
    let preview = ServerAction::<PreviewRules>::new();
    let save_error = action_error(save.value());
    let preview_error = action_error(preview.value());
    let query = use_query_map();
    let page = Resource::new(move || save.version().get(), |_| cost_rules());
    let document = NodeRef::<leptos::html::Textarea>::new();
    view! {
        <Title text="Allocation rules · Portcullis"/>
        <h1>"Allocation rules"</h1>
        <p><a href="/spend">"← Spend"</a></p>
        {move || query.read().get("saved").map(|_| view! { <p class="banner success" role="status">"Rules saved; every cost of all history was placed again."</p> })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let reason = page.refusals.reason("ce:UpdateCostCategoryDefinition");
                        let known = page.lines.clone();
                        let rows = RwSignal::new(rows_of(&page.document, &known).unwrap_or_default());
                        view! {
                            <p class="hint">"Rules run in order and the first that matches a cost places it; what no rule matches stays Unallocated. Match on a tag (equals, prefix or one of), sub_account, service, region, resource, charge_category, the creator (aws:createdBy, to the user's billing group), or any; send to a group or split among groups evenly, proportionally to their direct spend, or by percentages that add up to 100."</p>
                            <p class="hint">"Groups: "{page.groups.join(", ")}</p>
                            <Guard reason action="ce:UpdateCostCategoryDefinition">
                                <ActionForm action=save attr:data-testid="rules-form">
                                    <RuleOrder rows document/>
                                    <label for="rules-document">{format!("Rule set (version {})", page.version)}</label>
                                    <textarea id="rules-document" name="document" rows="18" spellcheck="false" class="code" node_ref=document
                                        on:input=move |_| {
                                            if let Some(listed) = document.get_untracked().and_then(|area| rows_of(&area.value(), &known)) {
                                                rows.set(listed);
                                            }
                                        }>{page.document.clone()}</textarea>
                                    <FieldError message=field(save_error, "document")/>
                                    <FormError error=save_error/>
                                    <div class="actions">
                                        <button type="button" class="secondary" data-testid="preview-rules" on:click=move |_| {
                                            if let Some(area) = document.get() {
                                                preview.dispatch(PreviewRules { document: area.value(), from: String::new(), to: String::new() });
                                            }
                                        }>"Preview changes"</button>
                                        <button type="submit">"Save and apply to all history"</button>
                                    </div>
                                </ActionForm>
                            </Guard>
                            <section class="panel" aria-live="polite" data-testid="rules-preview">
                                <FieldError message=field(preview_error, "document")/>
                                <FormError error=preview_error/>
                                {move || preview.value().get().and_then(|r| r.ok()).map(|changes| view! {
                                    <h2>"What saving would change (newest month)"</h2>
                                    <table class="data">
                                        <thead><tr><th scope="col">"Group"</th><th scope="col" class="num">"Now"</th><th scope="col" class="num">"After"</th><th scope="col" class="num">"Change"</th></tr></thead>
                                        <tbody>
                                            {changes.into_iter().map(|c| view! {
                                                <tr><th scope="row">{c.name}</th><td class="num">{money(&c.before)}</td><td class="num">{money(&c.after)}</td><td class="num">{money(&c.change)}</td></tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                })}
                            </section>
                            <details class="panel">
                                <summary>"Example rule set"</summary>
                                <pre><code>{RULES_HELP}</code></pre>
                            </details>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn SpendBudgetsPage() -> impl IntoView {
    let set = ServerAction::<SetBudget>::new();
    let remove = ServerAction::<RemoveBudget>::new();
    let set_error = action_error(set.value());
    let remove_error = action_error(remove.value());
    let query = use_query_map();
    let page = Resource::new(
        move || (set.version().get(), remove.version().get()),
        |_| load_budgets(),
    );
    view! {
        <Title text="Budgets · Portcullis"/>
        <h1>"Budgets"</h1>
        <p><a href="/spend">"← Spend"</a></p>
        {move || query.read().get("saved").map(|_| view! { <p class="banner success" role="status">"Budget saved and evaluated."</p> })}
        <FormError error=remove_error/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => {
                        let budget_groups: Vec<String> = page.budgets.iter().map(|b| b.group.clone()).collect();
                        view! {
                        {(!page.alerts.is_empty()).then(|| view! {
                            <section class="banner warning" role="status" data-testid="budget-alerts">
                                <h2>"Budget alerts"</h2>
                                <ul>
                                    {page.alerts.iter().map(|a| view! {
                                        <li>{format!("{}: {} spend {} crossed {}% of {} (period from {}, {})", a.group, a.kind, money(&a.value), a.threshold, money(&a.budget), a.period, a.fired_at)}</li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        })}
                        <section class="panel" data-testid="budgets">
                            <h2>"Budgets of your groups"</h2>
                            {page.budgets.is_empty().then(|| view! { <p class="empty">"No budgets yet."</p> })}
                            {page.budgets.into_iter().map(|b| {
                                let state = b.state.clone();
                                let editable = page.editable.contains(&b.group);
                                let group = b.group.clone();
                                view! {
                                    <article class="budget" data-testid="budget">
                                        <h3>{format!("{} · {} {} {}", b.group, b.period, money(&b.amount), b.currency)}</h3>
                                        {state.map(|s| view! { <BudgetStandingView budget=b.clone() standing=s/> })}
                                        <p class="hint">{format!("Alerts at {}% of actual and {}% of forecast spend{}{}.", b.actual_thresholds, b.forecast_thresholds,
                                            if b.webhook_url.is_empty() { String::new() } else { format!("; webhook {}", b.webhook_url) },
                                            if b.email_to.is_empty() { String::new() } else { format!("; e-mail to {}", b.email_to) })}</p>
                                        {editable.then(|| view! {
                                            <ActionForm action=remove>
                                                <input type="hidden" name="group" value=group.clone()/>
                                                <button type="submit" class="link danger">"Remove budget"</button>
                                            </ActionForm>
                                        })}
                                    </article>
                                }
                            }).collect_view()}
                        </section>
                        {if page.editable.is_empty() {
                            // Shown disabled with the engine's reason, naming the groups
                            // whose budgets the viewer sees.
                            let groups = budget_groups.clone();
                            view! {
                                <GuardFor action="budgets:ModifyBudget" resource="group/*">
                                    <BudgetForm set set_error groups=groups.clone()/>
                                </GuardFor>
                            }.into_any()
                        } else {
                            view! { <BudgetForm set set_error groups=page.editable.clone()/> }.into_any()
                        }}
                    }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The form that sets a group's budget, for `groups`.
#[component]
fn BudgetForm(
    set: ServerAction<SetBudget>,
    set_error: Signal<Option<AppError>>,
    groups: Vec<String>,
) -> impl IntoView {
    view! {
        <section class="panel">
            <h2>"Set a budget"</h2>
            <ActionForm action=set attr:data-testid="budget-form">
                <label for="budget-group">"Group"</label>
                <select id="budget-group" name="form[group]">
                    {groups.iter().map(|g| view! { <option value=g.clone()>{g.clone()}</option> }).collect_view()}
                </select>
                <FieldError message=field(set_error, "group")/>
                <label for="budget-period">"Period"</label>
                <select id="budget-period" name="form[period]">
                    <option value="monthly" selected=true>"Monthly"</option>
                    <option value="quarterly">"Quarterly"</option>
                    <option value="yearly">"Yearly"</option>
                </select>
                <FieldError message=field(set_error, "period")/>
                <TextField id="budget-amount" label="Amount" name="form[amount]" key="amount" error=set_error
                    inputmode="decimal"/>
                <TextField id="budget-actual" label="Alert at % of actual spend" name="form[actual_thresholds]"
                    key="actual_thresholds" error=set_error value="80, 100"/>
                <TextField id="budget-forecast" label="Alert at % of forecast spend" name="form[forecast_thresholds]"
                    key="forecast_thresholds" error=set_error value="100"/>
                <TextField id="budget-webhook" label="Webhook URL (optional)" name="form[webhook_url]" key="webhook_url"
                    error=set_error placeholder="https://hooks.example.com/budget"/>
                <TextField id="budget-secret" label="Webhook signing secret" name="form[webhook_secret]"
                    key="webhook_secret" error=set_error secret=true
                    hint="Each alert is POSTed as JSON with X-Portcullis-Signature: t=TIME,v1=HMAC-SHA256(secret, TIME.BODY), retried with growing delays."/>
                <TextField id="budget-email" label="E-mail alerts to (optional)" name="form[email_to]" key="email_to"
                    error=set_error placeholder="pm@example.com, finance@example.com"
                    hint="Sent through the SMTP relay named by PORTCULLIS_SMTP."/>
                <FormError error=set_error/>
                <button type="submit" class="primary">"Save budget"</button>
            </ActionForm>
        </section>
    }
}

/// The dimensions the explorer groups by, as the URL writes them.
const DIMENSIONS: &[(&str, &str)] = &[
    ("service", "Service"),
    ("group", "Group"),
    ("account", "Sub-account"),
    ("region", "Region"),
    ("zone", "Availability zone"),
    ("category", "Charge category"),
    ("resource", "Resource"),
    ("creator", "Created by"),
    ("day", "Day"),
    ("month", "Month"),
];

#[component]
pub fn SpendExplorerPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let (from, to, by, tag) = (get("from"), get("to"), get("by"), get("tag"));
    let (filter_by, filter, every) = (get("filter_by"), get("filter"), get("every"));
    let dimension = move || {
        let tag = tag();
        if tag.trim().is_empty() {
            by()
        } else {
            format!("tag:{}", tag.trim())
        }
    };
    let report = Resource::new(
        move || (from(), to(), dimension(), filter_by(), filter(), every()),
        |(from, to, by, filter_by, filter, every)| {
            crate::api::costs::explore(from, to, by, filter_by, filter, every)
        },
    );
    view! {
        <Title text="Cost explorer · Portcullis"/>
        <h1>"Cost explorer"</h1>
        <p><a href="/spend">"← Spend"</a></p>
        <form method="get" action="/spend/explore" class="toolbar filters" role="search" data-testid="explorer-form">
            <label>"From "<input type="date" name="from" value=from/></label>
            <label>"To "<input type="date" name="to" value=to/></label>
            <label>"Group by "
                <select name="by">
                    {DIMENSIONS.iter().map(|(value, label)| view! {
                        <option value=*value selected=move || by() == *value || (by().is_empty() && *value == "service")>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"or tag key "<input type="text" name="tag" value=tag placeholder="team"/></label>
            <label>"Where "
                <select name="filter_by">
                    <option value="" selected=move || filter_by().is_empty()>"(no filter)"</option>
                    {DIMENSIONS.iter().map(|(value, label)| view! {
                        <option value=*value selected=move || filter_by() == *value>{*label}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"is "<input type="text" name="filter" value=filter size="14"/></label>
            <label>"Over time "
                <select name="every">
                    <option value="" selected=move || every().is_empty()>"(totals)"</option>
                    <option value="day" selected=move || every() == "day">"per day"</option>
                    <option value="month" selected=move || every() == "month">"per month"</option>
                </select>
            </label>
            <button type="submit">"Show"</button>
            <a class="button secondary" href=move || format!("/spend/export.csv?from={}&to={}", from(), to())>"Download FOCUS CSV"</a>
        </form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(report) => {
                        let marks: Vec<Mark> = report.lines.iter().take(25).map(|l| Mark::new(l.label.clone(), &l.billed, l.label == model::costs::UNALLOCATED)).collect();
                        let columns: Vec<StackedColumn> = report.columns.iter().map(|c| StackedColumn {
                            label: c.label.clone(),
                            marks: c.amounts.iter().zip(&report.series).map(|(a, s)| Mark::new(s.clone(), a, false)).collect(),
                        }).collect();
                        let over_time = !columns.is_empty();
                        let csv = csv_of(&dimension(), &report.lines);
                        view! {
                            {over_time.then(|| view! {
                                <StackedColumns id="explorer-over-time" title=format!("Billed cost by {} over time", dimension())
                                    series=report.series.clone() columns=columns currency=String::new()/>
                            })}
                            <BarChart id="explorer-chart" title=format!("Billed cost by {}", dimension()) marks=marks currency=String::new()/>
                            <p><a class="button secondary" download="portcullis-explorer.csv" href=format!("data:text/csv;charset=utf-8,{}", percent(&csv))>"Download this table (CSV)"</a></p>
                            <table class="data" data-testid="explorer-table">
                                <thead><tr><th scope="col">{dimension()}</th><th scope="col" class="num">"Billed"</th><th scope="col" class="num">"Effective"</th></tr></thead>
                                <tbody>
                                    {report.lines.into_iter().map(|l| view! {
                                        <tr><th scope="row">{l.label}</th><td class="num" title=l.billed.clone()>{money(&l.billed)}</td><td class="num">{money(&l.effective)}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The explorer's table as CSV, cells a spreadsheet would run escaped.
fn csv_of(dimension: &str, lines: &[model::costs::CostLine]) -> String {
    let cell = |text: &str| {
        let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
            format!("'{text}")
        } else {
            text.to_string()
        };
        format!("\"{}\"", text.replace('"', "\"\""))
    };
    let mut out = format!("{},BilledCost,EffectiveCost\n", cell(dimension));
    for line in lines {
        out.push_str(&format!(
            "{},{},{}\n",
            cell(&line.label),
            line.billed,
            line.effective
        ));
    }
    out
}

/// Percent-encodes text for a `data:` URL.
fn percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~,".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}
