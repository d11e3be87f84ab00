//! Spend benchmarks against a database that already holds billing data (see
//! `scripts/bench-costs`): every dashboard and explorer query, p50 and p99 over many
//! runs, side by side with the same answer from a plain `GROUP BY` over the line
//! items, measured in the same run; then how long a rule change takes to reach every
//! dashboard, and a rule preview.

use std::time::{Duration, Instant};

use portcullis::{config, database};
use service::{Clock, Options, Service};
use store::costs::{CostDimension, CostQuery, GroupScope};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(index).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = config::Config::load()?;
    let mut db = database::open(&config).await?;
    let store = db.store.clone();
    let Some((first, last)) = store.cost_days().await? else {
        return Err("no billing data: import some first".into());
    };
    let month = spend::item::month_start(last);
    let next = last + time::Duration::days(1);
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(30);
    let line_items: i64 = sqlx::query_scalar("SELECT count(*) FROM cost_line_items")
        .fetch_one(store.pool())
        .await?;
    println!("{line_items} line items, {first} to {last}; {runs} runs per query");
    println!(
        "{:<28} {:>10} {:>10} {:>12} {:>12} {:>8}",
        "query", "p50 ms", "p99 ms", "GROUP BY p50", "GROUP BY p99", "ratio"
    );
    let cases: Vec<(&str, CostDimension, time::Date, &str)> = vec![
        (
            "spend per group (month)",
            CostDimension::Group,
            month,
            "coalesce(a.group_id, '')",
        ),
        (
            "per service (month)",
            CostDimension::Service,
            month,
            "k.service_name",
        ),
        (
            "per day (month)",
            CostDimension::Day,
            month,
            "(li.charge_period_start AT TIME ZONE 'UTC')::date::text",
        ),
        (
            "per sub-account (month)",
            CostDimension::SubAccount,
            month,
            "k.sub_account_id",
        ),
        (
            "per region (month)",
            CostDimension::Region,
            month,
            "k.region_id",
        ),
        (
            "per zone (month)",
            CostDimension::AvailabilityZone,
            month,
            "k.availability_zone",
        ),
        (
            "per tag team (month)",
            CostDimension::Tag("team".into()),
            month,
            "k.tags->>'team'",
        ),
        (
            "per creator (month)",
            CostDimension::Creator,
            month,
            "k.created_by",
        ),
        (
            "per resource (month)",
            CostDimension::Resource,
            month,
            "k.resource_id",
        ),
        (
            "per month (all)",
            CostDimension::Month,
            first,
            "to_char(li.charge_period_start AT TIME ZONE 'UTC', 'YYYY-MM')",
        ),
        (
            "per group (all)",
            CostDimension::Group,
            first,
            "coalesce(a.group_id, '')",
        ),
    ];
    for (name, by, from, baseline_dimension) in cases {
        let query = CostQuery {
            from,
            to: next,
            by,
            scope: GroupScope::All,
            group: None,
        };
        let baseline = format!(
            "SELECT {baseline_dimension} AS value, sum(li.billed_cost * coalesce(a.share, 1))::text
             FROM cost_line_items li JOIN cost_keys k ON k.id = li.key_id
             LEFT JOIN cost_allocations a ON a.key_id = li.key_id
             WHERE li.charge_period_start >= $1 AND li.charge_period_start < $2 GROUP BY 1"
        );
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        for run in 0..runs {
            // Interleaved, so both see the same cache and load.
            let t = Instant::now();
            store.cost_report(&query).await?;
            fast.push(t.elapsed());
            if run < runs.min(5) {
                let t = Instant::now();
                sqlx::query(&baseline)
                    .bind(from.midnight().assume_utc())
                    .bind(next.midnight().assume_utc())
                    .fetch_all(store.pool())
                    .await?;
                slow.push(t.elapsed());
            }
        }
        let (p50, p99) = (percentile(&mut fast, 0.5), percentile(&mut fast, 0.99));
        let (b50, b99) = (percentile(&mut slow, 0.5), percentile(&mut slow, 0.99));
        println!(
            "{name:<28} {:>10.1} {:>10.1} {:>12.1} {:>12.1} {:>7.0}x",
            ms(p50),
            ms(p99),
            ms(b50),
            ms(b99),
            b50.as_secs_f64() / p50.as_secs_f64().max(1e-9)
        );
    }
    let service = Service::new(
        store.clone(),
        identity::hashing::PasswordHasher::new(1, 4)?,
        database::secret_box(&config)?,
        Clock::system(),
        Options::default(),
    );
    let rules = r#"{"rules":[
        {"name":"team web","when":{"on":"tag","key":"team","test":{"equals":"web"}},"then":{"to":"group","group":"BenchWeb"}},
        {"name":"team data","when":{"on":"tag","key":"team","test":{"equals":"data"}},"then":{"to":"group","group":"BenchData"}},
        {"name":"shared","when":{"on":"service","test":{"prefix":"AWS Support"}},"then":{"to":"split","groups":["BenchWeb","BenchData"],"method":"proportional"}}
    ]}"#;
    let account = store
        .account_id()
        .await?
        .unwrap_or_else(|| "123456789012".into());
    for group in ["BenchWeb", "BenchData"] {
        if store.group(group).await?.is_none() {
            store
                .create_group(
                    &account,
                    "/",
                    group,
                    &store::AuditEntry {
                        at: time::OffsetDateTime::now_utc(),
                        actor: "shell".into(),
                        action: "iam:CreateGroup",
                        target: group.into(),
                        source_ip: String::new(),
                        outcome: store::Outcome::Success,
                        detail: "benchmark".into(),
                    },
                )
                .await?;
        }
    }
    let rules_set = spend::RuleSet::from_json(rules)?;
    let t = Instant::now();
    service.reallocate(Some(&rules_set)).await?;
    println!(
        "rule change reflected in every dashboard: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let inputs = store.allocation_inputs().await?;
    let t = Instant::now();
    let placed = service::costs::place_all(&inputs, &rules_set);
    let _ = store.cost_by_key(month, next).await?;
    println!(
        "rule preview (place {} keys, sum the month): {:.2} s",
        placed.len(),
        t.elapsed().as_secs_f64()
    );
    if let Some(cluster) = db.cluster.as_mut() {
        cluster.stop();
    }
    Ok(())
}
