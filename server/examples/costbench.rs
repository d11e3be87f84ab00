//! Spend benchmarks against a database that already holds billing data (see
//! `scripts/bench-costs`): every dashboard and explorer query, p50 and p99 over many
//! runs, side by side with the same answer from a plain `GROUP BY` over the line
//! items, measured in the same run; then how long a rule change takes to reach every
//! dashboard, and a rule preview.

use std::time::{Duration, Instant};

use portcullis::{config, database};
use service::{Clock, Options, Service};
use store::costs::{CostDimension, CostMatrix, CostQuery, Every, GroupScope};

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples.get(index).copied().unwrap_or_default()
}

/// A dashboard or explorer question: its name, what it sums by, the same dimension
/// in SQL over the line items, its time axis, its first day, and whether it asks
/// about one group only (a project manager's page).
type Case = (
    &'static str,
    CostDimension,
    String,
    Option<Every>,
    time::Date,
    bool,
);

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
    let service = Service::new(
        store.clone(),
        identity::hashing::PasswordHasher::new(1, 4)?,
        database::secret_box(&config)?,
        Clock::system(),
        Options::default(),
    );
    // Rules first, as a real installation has them: two teams, a shared split, and
    // the rest Unallocated.
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
    let web = store
        .group("BenchWeb")
        .await?
        .map(|g| g.id)
        .unwrap_or_default();
    let rules_set = spend::RuleSet::from_json(rules)?;
    let t = Instant::now();
    service.reallocate(Some(&rules_set)).await?;
    println!(
        "rule change reflected in every dashboard: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    println!(
        "{:<34} {:>8} {:>8} {:>13} {:>13} {:>7}",
        "query", "p50 ms", "p99 ms", "GROUP BY p50", "GROUP BY p99", "ratio"
    );
    let day = "(li.charge_period_start AT TIME ZONE 'UTC')::date";
    // The tag as written most often: a plain lookup, cheaper than matching every
    // spelling, so the ratio is not flattered.
    let tag = "coalesce(k.tags->>'team', '')";
    let group = "coalesce(a.group_id, '')";
    let cases: Vec<Case> = vec![
        (
            "spend per group (month)",
            CostDimension::Group,
            group.into(),
            None,
            month,
            false,
        ),
        (
            "per service (month)",
            CostDimension::Service,
            "k.service_name".into(),
            None,
            month,
            false,
        ),
        (
            "per day (month)",
            CostDimension::Day,
            format!("{day}::text"),
            None,
            month,
            false,
        ),
        (
            "per sub-account (month)",
            CostDimension::SubAccount,
            "k.sub_account_id".into(),
            None,
            month,
            false,
        ),
        (
            "per region (month)",
            CostDimension::Region,
            "k.region_id".into(),
            None,
            month,
            false,
        ),
        (
            "per zone (month)",
            CostDimension::AvailabilityZone,
            "k.availability_zone".into(),
            None,
            month,
            false,
        ),
        (
            "per tag team (month)",
            CostDimension::Tag("team".into()),
            tag.into(),
            None,
            month,
            false,
        ),
        (
            "per creator (month)",
            CostDimension::Creator,
            "coalesce(k.created_by, '')".into(),
            None,
            month,
            false,
        ),
        (
            "top 10 resources (month)",
            CostDimension::Resource,
            "k.resource_id".into(),
            None,
            month,
            false,
        ),
        (
            "per month (all)",
            CostDimension::Month,
            format!("to_char({day}, 'YYYY-MM')"),
            None,
            first,
            false,
        ),
        (
            "per group (all)",
            CostDimension::Group,
            group.into(),
            None,
            first,
            false,
        ),
        (
            "group: per service (month)",
            CostDimension::Service,
            "k.service_name".into(),
            None,
            month,
            true,
        ),
        (
            "group: per zone (month)",
            CostDimension::AvailabilityZone,
            "k.availability_zone".into(),
            None,
            month,
            true,
        ),
        (
            "group: per tag team (month)",
            CostDimension::Tag("team".into()),
            tag.into(),
            None,
            month,
            true,
        ),
        (
            "group: per member (month)",
            CostDimension::Creator,
            "coalesce(k.created_by, '')".into(),
            None,
            month,
            true,
        ),
        (
            "group: top 10 resources (month)",
            CostDimension::Resource,
            "k.resource_id".into(),
            None,
            month,
            true,
        ),
        (
            "group: services by day (month)",
            CostDimension::Service,
            "k.service_name".into(),
            Some(Every::Day),
            month,
            true,
        ),
        (
            "group: zones by day (month)",
            CostDimension::AvailabilityZone,
            "k.availability_zone".into(),
            Some(Every::Day),
            month,
            true,
        ),
        (
            "group: tag team by day (all)",
            CostDimension::Tag("team".into()),
            tag.into(),
            Some(Every::Day),
            first,
            true,
        ),
        (
            "explorer: groups by day (all)",
            CostDimension::Group,
            group.into(),
            Some(Every::Day),
            first,
            false,
        ),
        (
            "explorer: zones by day (all)",
            CostDimension::AvailabilityZone,
            "k.availability_zone".into(),
            Some(Every::Day),
            first,
            false,
        ),
        (
            "explorer: tag team by month (all)",
            CostDimension::Tag("team".into()),
            tag.into(),
            Some(Every::Month),
            first,
            false,
        ),
    ];
    for (name, by, baseline_dimension, every, from, only_web) in cases {
        let matrix = CostMatrix {
            query: CostQuery {
                from,
                to: next,
                by,
                scope: GroupScope::All,
                group: only_web.then(|| Some(web.clone())),
            },
            every,
            filter: None,
        };
        let period = match every {
            None => "''".to_string(),
            Some(Every::Day) => format!("{day}::text"),
            Some(Every::Month) => format!("to_char({day}, 'YYYY-MM')"),
        };
        let baseline = format!(
            "SELECT {period}, {baseline_dimension} AS value, sum(li.billed_cost * coalesce(a.share, 1))::text
             FROM cost_line_items li JOIN cost_keys k ON k.id = li.key_id
             LEFT JOIN cost_allocations a ON a.key_id = li.key_id
             WHERE li.charge_period_start >= $1 AND li.charge_period_start < $2
               AND (NOT $3 OR a.group_id = $4)
             GROUP BY 1, 2"
        );
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        for run in 0..runs {
            // Interleaved, so both see the same cache and load.
            let t = Instant::now();
            // Dashboards show the top ten resources; the explorer every value.
            if matrix.query.by == CostDimension::Resource {
                store.cost_top(&matrix.query, Some(10)).await?;
            } else {
                store.cost_matrix(&matrix).await?;
            }
            fast.push(t.elapsed());
            if run < runs.min(5) {
                let t = Instant::now();
                sqlx::query(&baseline)
                    .bind(from.midnight().assume_utc())
                    .bind(next.midnight().assume_utc())
                    .bind(only_web)
                    .bind(&web)
                    .fetch_all(store.pool())
                    .await?;
                slow.push(t.elapsed());
            }
        }
        let (p50, p99) = (percentile(&mut fast, 0.5), percentile(&mut fast, 0.99));
        let (b50, b99) = (percentile(&mut slow, 0.5), percentile(&mut slow, 0.99));
        println!(
            "{name:<34} {:>8.1} {:>8.1} {:>13.1} {:>13.1} {:>6.0}x",
            ms(p50),
            ms(p99),
            ms(b50),
            ms(b99),
            b50.as_secs_f64() / p50.as_secs_f64().max(1e-9)
        );
    }
    // A second rule change (the data moves from one team to the other).
    let swapped = spend::RuleSet::from_json(
        &rules
            .replace("BenchWeb", "BenchTmp")
            .replace("BenchData", "BenchWeb")
            .replace("BenchTmp", "BenchData"),
    )?;
    let t = Instant::now();
    service.reallocate(Some(&swapped)).await?;
    println!(
        "second rule change reflected in every dashboard: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // The preview of going back to the first rules, for the last month, as the
    // rules page asks it: the stored placements and the month's costs read, every
    // key placed again, both summed per group.
    let t = Instant::now();
    let (_, before, after) = service
        .group_sums_before_and_after(&rules_set, month, last)
        .await?;
    println!(
        "rule preview ({} groups before, {} after, the last month): {:.2} s",
        before.len(),
        after.len(),
        t.elapsed().as_secs_f64()
    );
    if let Some(cluster) = db.cluster.as_mut() {
        cluster.stop();
    }
    Ok(())
}
