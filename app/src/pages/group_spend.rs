//! A group's spend, for its project manager: the period against the budget, the trend
//! stacked by service, breakdowns, top resources, who created what, and the rules that
//! place costs here. The period and tag key live in the URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::costs::load_group_spend;
use crate::charts::{Donut, Gauge, Mark, Sparkline, StackedColumn, StackedColumns};
use crate::components::LoadError;
use model::costs::{money, BudgetRow, BudgetStanding, CostLine};

#[component]
pub fn GroupSpendPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let group = move || params.read().get("name").unwrap_or_default();
    let get = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let (from, to, tag) = (get("from"), get("to"), get("tag"));
    let page = Resource::new(
        move || (group(), from(), to(), tag()),
        |(group, from, to, tag)| load_group_spend(group, from, to, tag),
    );
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => {
                        let currency = p.currency.clone();
                        let name = p.group.clone();
                        let columns: Vec<StackedColumn> = p.daily.iter().map(|d| StackedColumn {
                            label: d.label.clone(),
                            marks: d.amounts.iter().zip(&p.series).map(|(a, s)| Mark::new(s.clone(), a, false)).collect(),
                        }).collect();
                        let trend: Vec<f64> = p.daily.iter()
                            .map(|d| d.amounts.iter().map(|a| a.parse::<f64>().unwrap_or(0.0)).sum())
                            .collect();
                        let services: Vec<Mark> = p.breakdowns.first().map(|b| b.lines.iter()
                            .map(|l| Mark::new(l.label.clone(), &l.billed, false)).collect()).unwrap_or_default();
                        let change = change(&p.billed, &p.previous);
                        let explore = format!("/spend/explore?from={}&to={}", p.from, p.to);
                        view! {
                            <Title text=format!("{name} spend · Portcullis")/>
                            <h1>{format!("Spend of {name}")}</h1>
                            <form method="get" action=format!("/spend/groups/{name}") class="toolbar filters" role="search">
                                <label>"From "<input type="date" name="from" value=p.from.clone()/></label>
                                <label>"To "<input type="date" name="to" value=p.to.clone()/></label>
                                <label>"Tag key "<input type="text" name="tag" value=p.tag_key.clone() size="12"/></label>
                                <button type="submit">"Show"</button>
                                <span class="spacer"></span>
                                <a class="button secondary" href="/spend">"All spend"</a>
                                <a class="button secondary" href=explore>"Explorer"</a>
                            </form>
                            <section class="cards">
                                <div class="card" data-testid="group-billed">
                                    <h2>"Billed"</h2>
                                    <p class="big">{money(&p.billed)}" "<small>{currency.clone()}</small></p>
                                    <p class="hint">{format!("{} to {}", p.from, p.to)}</p>
                                    <Sparkline title=format!("Daily billed cost of {name}, {} to {}", p.from, p.to) values=trend/>
                                </div>
                                <div class="card" data-testid="group-change">
                                    <h2>"Same days last month"</h2>
                                    <p class="big">{money(&p.previous)}" "<small>{currency.clone()}</small></p>
                                    <p class=change.1>{change.0}</p>
                                </div>
                                <div class="card">
                                    <h2>"Effective"</h2>
                                    <p class="big">{money(&p.effective)}" "<small>{currency.clone()}</small></p>
                                    <p class="hint">"After discounts and commitments."</p>
                                </div>
                            </section>
                            <section class="panel" data-testid="group-budget">
                                <h2>"Budget"</h2>
                                {match p.budget.clone() {
                                    Some(b) => match b.state.clone() {
                                        Some(s) => view! { <BudgetStandingView budget=b standing=s/> }.into_any(),
                                        None => view! { <p>{format!("A {} budget of {} {}; not evaluated yet.", b.period, money(&b.amount), b.currency)}</p> }.into_any(),
                                    },
                                    None => view! { <p class="hint">"No budget you may see. "<a href="/spend/budgets">"Budgets"</a></p> }.into_any(),
                                }}
                            </section>
                            <section class="panel">
                                <h2>"Daily spend by service"</h2>
                                <StackedColumns id="group-daily" title=format!("Billed cost of {name} per day and service, {} to {}", p.from, p.to)
                                    series=p.series.clone() columns=columns currency=currency.clone()/>
                            </section>
                            <section class="panel">
                                <h2>"Share by service"</h2>
                                <Donut id="group-services" title=format!("Share of {name}'s billed cost by service") marks=services currency=currency.clone()/>
                            </section>
                            <section class="breakdowns">
                                {p.breakdowns.iter().map(|b| {
                                    let href = format!("/spend/explore?from={}&to={}&by={}", p.from, p.to, b.dimension);
                                    view! {
                                        <section class="panel">
                                            <h2>{b.title.clone()}</h2>
                                            <Lines lines=b.lines.clone() testid=format!("breakdown-{}", b.dimension)/>
                                            <p class="hint"><a href=href>"Open in the explorer"</a></p>
                                        </section>
                                    }
                                }).collect_view()}
                                <section class="panel">
                                    <h2>"Top resources"</h2>
                                    <Lines lines=p.top_resources.clone() testid="top-resources".to_string()/>
                                </section>
                                <section class="panel">
                                    <h2>"Spend per member"</h2>
                                    <p class="hint">"By the user who created the resources (the aws:createdBy tag)."</p>
                                    <Lines lines=p.members.clone() testid="group-members".to_string()/>
                                </section>
                            </section>
                            <section class="panel" data-testid="group-rules">
                                <h2>"Rules that place costs here"</h2>
                                {if p.rules.is_empty() {
                                    view! { <p class="hint">"No allocation rule names this group."</p> }.into_any()
                                } else {
                                    view! { <ul>{p.rules.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}</ul> }.into_any()
                                }}
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <Title text="Group spend · Portcullis"/><LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Where a budget stands: status, spend against the amount, the forecast and its range,
/// as words and as a gauge.
#[component]
pub(super) fn BudgetStandingView(budget: BudgetRow, standing: BudgetStanding) -> impl IntoView {
    let (b, s) = (budget, standing);
    let f = |t: &str| t.parse::<f64>().unwrap_or(0.0);
    view! {
        <p>
            <span class=format!("badge status-{}", s.status)>{s.status.clone()}</span>
            {format!(" {} of {} {} spent ({}%) in {}; forecast {} (range {} to {}).",
                money(&s.actual), money(&b.amount), b.currency, model::costs::round_to_cents(&s.used_percent), s.period,
                money(&s.forecast), money(&s.forecast_low), money(&s.forecast_high))}
        </p>
        <Gauge id=format!("gauge-{}", b.group) title=format!("{}: {} of {} spent, forecast {}", b.group, money(&s.actual), money(&b.amount), money(&s.forecast))
            actual=f(&s.actual) forecast=f(&s.forecast) low=f(&s.forecast_low) high=f(&s.forecast_high) amount=f(&b.amount)/>
        <p class="hint">{format!("Forecast: {}. The bar is spend so far, the black line the forecast, the dashed box its range, the blue line the budget.", s.method)}</p>
    }
}

/// A breakdown table: label, billed, effective.
#[component]
fn Lines(lines: Vec<CostLine>, testid: String) -> impl IntoView {
    view! {
        <table class="data" data-testid=testid>
            <thead><tr><th scope="col">"Value"</th><th scope="col" class="num">"Billed"</th><th scope="col" class="num">"Effective"</th></tr></thead>
            <tbody>
                {lines.into_iter().map(|l| view! {
                    <tr><th scope="row">{l.label}</th><td class="num" title=l.billed.clone()>{money(&l.billed)}</td><td class="num" title=l.effective.clone()>{money(&l.effective)}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The change against the same days a month earlier, in words and its class.
pub(super) fn change(now: &str, before: &str) -> (String, &'static str) {
    let (now, before) = (
        now.parse::<f64>().unwrap_or(0.0),
        before.parse::<f64>().unwrap_or(0.0),
    );
    if before <= 0.0 {
        return ("No spend to compare with.".into(), "hint");
    }
    let percent = (now - before) / before * 100.0;
    if percent >= 0.0 {
        (format!("▲ {percent:.1} % this period"), "delta up")
    } else {
        (format!("▼ {:.1} % this period", -percent), "delta down")
    }
}
