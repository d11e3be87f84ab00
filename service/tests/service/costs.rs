//! Spend: the FOCUS sample imported, totals checked against an independent sum of
//! the file, allocation rules, per-group visibility, replacement and refusals.

use std::collections::BTreeMap;

use model::Holder;
use service::costs::{ImportControl, ImportLimits, ImportSource, Importer};
use service::ServiceError;
use spend::FormatChoice;
use store::costs::CostDimension;
use time::macros::date;

use crate::{world, World};

/// The sample file, found through the directory `cargo test` runs us from (a test
/// binary reused from another checkout must not read that checkout's files).
fn sample() -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../spend/tests/data/focus_sample.csv")
}
const PM_PASSWORD: &str = "Pm-Password-2026!";

/// Exact sums of a decimal column per value of another, done apart from the product:
/// Python-free, with the csv crate and 10⁻¹² fixed point.
fn sums(by: &str) -> BTreeMap<String, i128> {
    let mut reader = csv::Reader::from_path(sample()).unwrap();
    let header = reader.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (cost, key) = (at("BilledCost"), at(by));
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.unwrap();
        *out.entry(record[key].to_string()).or_insert(0) += fixed(&record[cost]);
    }
    out
}

fn fixed(text: &str) -> i128 {
    let negative = text.starts_with('-');
    let digits = text.trim_start_matches('-');
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let padded: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(12)
        .collect();
    let value =
        whole.parse::<i128>().unwrap() * 1_000_000_000_000 + padded.parse::<i128>().unwrap();
    if negative {
        -value
    } else {
        value
    }
}

async fn import(
    world: &World,
    caller: &service::Caller,
    name: &str,
    bytes: Vec<u8>,
) -> Result<model::costs::ImportRow, ServiceError> {
    import_through(&world.service, caller, name, bytes).await
}

/// [`import`] through a given server instance.
async fn import_through(
    service: &service::Service,
    caller: &service::Caller,
    name: &str,
    bytes: Vec<u8>,
) -> Result<model::costs::ImportRow, ServiceError> {
    service
        .import_costs(
            Importer::Caller(caller),
            vec![ImportSource {
                name: name.into(),
                bytes: Box::new(std::io::Cursor::new(bytes)),
            }],
            FormatChoice::Auto,
            ImportLimits::default(),
            ImportControl::default(),
        )
        .await
}

const SEPTEMBER: (time::Date, time::Date) = (date!(2024 - 08 - 01), date!(2024 - 10 - 31));

#[tokio::test]
async fn the_sample_imports_exactly_and_each_manager_sees_only_their_group() {
    let world = world().await;
    let root_session = world.set_up().await;
    let root = world.caller(&root_session).await.unwrap();
    let bytes = std::fs::read(sample()).unwrap();
    let first = import(&world, &root, "focus_sample.csv", bytes.clone())
        .await
        .unwrap();
    assert_eq!(first.line_items, 1000);

    // Per service and per sub-account, to the cent and beyond, against the file.
    let (from, to) = SEPTEMBER;
    for (dimension, column) in [
        (CostDimension::Service, "ServiceName"),
        (CostDimension::SubAccount, "SubAccountId"),
    ] {
        let report = world
            .service
            .cost_report(Some(&root), from, to, dimension)
            .await
            .unwrap();
        let expected = sums(column);
        for line in &report {
            let key = if line.label == "(none)" {
                "NULL".to_string()
            } else {
                line.label.clone()
            };
            let want = expected
                .get(&key)
                .copied()
                .or_else(|| expected.get("").copied())
                .unwrap_or(0);
            assert_eq!(fixed(&line.billed), want, "{column} {key}");
        }
        let total: i128 = report.iter().map(|l| fixed(&l.billed)).sum();
        assert_eq!(total, sums("BillingCurrency").values().sum::<i128>());
    }

    // Importing the same file again replaces it: never double counted.
    let second = import(&world, &root, "focus_sample.csv", bytes)
        .await
        .unwrap();
    let by_group = world
        .service
        .cost_report(Some(&root), from, to, CostDimension::Group)
        .await
        .unwrap();
    assert_eq!(
        by_group.len(),
        1,
        "everything is Unallocated before rules: {by_group:?}"
    );
    assert_eq!(by_group[0].label, "Unallocated");
    assert_eq!(
        fixed(&by_group[0].billed),
        sums("BillingCurrency").values().sum::<i128>()
    );
    let history = world.service.cost_imports(&root).await.unwrap();
    assert_eq!(history.imports[0].id, second.id);
    assert_eq!(history.imports[1].state, "replaced");

    // Rules: a business unit to one group, a sub-account to another, support split.
    for group in ["Vienna", "Phoenix", "Platform"] {
        world.service.create_group(&root, group).await.unwrap();
    }
    let rules = r#"{"rules":[
        {"name":"vienna","when":{"on":"tag","key":"business_unit","test":{"prefix":"Vienna"}},"then":{"to":"group","group":"Vienna"}},
        {"name":"phoenix","when":{"on":"tag","key":"business_unit","test":{"prefix":"Phoenix"}},"then":{"to":"group","group":"Phoenix"}},
        {"name":"azure","when":{"on":"service","test":{"one_of":["Azure App Service","Virtual Network"]}},"then":{"to":"split","groups":["Vienna","Platform","Phoenix"],"method":"even"}}
    ]}"#;
    let preview = world
        .service
        .preview_cost_rules(&root, rules, from, to)
        .await
        .unwrap();
    assert!(
        preview
            .iter()
            .any(|c| c.name == "Vienna" && fixed(&c.change) > 0),
        "{preview:?}"
    );
    world.service.save_cost_rules(&root, rules).await.unwrap();
    let by_group = world
        .service
        .cost_report(Some(&root), from, to, CostDimension::Group)
        .await
        .unwrap();
    let names: Vec<&str> = by_group.iter().map(|l| l.label.as_str()).collect();
    assert!(
        names.contains(&"Vienna") && names.contains(&"Phoenix") && names.contains(&"Unallocated"),
        "{names:?}"
    );
    let total: i128 = by_group.iter().map(|l| fixed(&l.billed)).sum();
    assert_eq!(
        total,
        sums("BillingCurrency").values().sum::<i128>(),
        "allocated + Unallocated = total"
    );
    // Once saved, a preview of the same rules changes nothing, and its sums are the
    // reports' (whole months read monthly sums, a part of a month daily ones).
    for (from, to) in [(from, to), (date!(2024 - 09 - 05), date!(2024 - 09 - 20))] {
        let report = world
            .service
            .cost_report(Some(&root), from, to, CostDimension::Group)
            .await
            .unwrap();
        let preview = world
            .service
            .preview_cost_rules(&root, rules, from, to)
            .await
            .unwrap();
        assert!(!preview.is_empty());
        for change in &preview {
            assert_eq!(change.before, change.after, "{from}..{to}: {preview:?}");
            let reported = report
                .iter()
                .find(|l| l.label == change.name)
                .map(|l| fixed(&l.billed))
                .unwrap_or(0);
            // Split shares are cut at 10⁻¹² per key in the preview.
            assert!(
                (fixed(&change.after) - reported).abs() < 1_000_000,
                "{from}..{to} {}: {} vs {reported}",
                change.name,
                change.after
            );
        }
        assert_eq!(
            preview.iter().filter(|c| fixed(&c.after) != 0).count(),
            report.iter().filter(|l| fixed(&l.billed) != 0).count(),
            "{from}..{to}: {preview:?} {report:?}"
        );
    }

    // The explorer cuts the same numbers any way: Vienna's services per month add up
    // to Vienna; a tag filter (read from the per-key sums) agrees with the rollup.
    let explored = world
        .service
        .explore(
            Some(&root),
            from,
            to,
            CostDimension::Service,
            Some((CostDimension::Group, "vienna".into())),
            Some(store::costs::Every::Month),
        )
        .await
        .unwrap();
    let vienna_total = fixed(
        &by_group
            .iter()
            .find(|l| l.label == "Vienna")
            .unwrap()
            .billed,
    );
    assert_eq!(
        explored
            .lines
            .iter()
            .map(|l| fixed(&l.billed))
            .sum::<i128>(),
        vienna_total
    );
    assert_eq!(
        explored
            .columns
            .iter()
            .flat_map(|c| c.amounts.iter())
            .map(|a| fixed(a))
            .sum::<i128>(),
        vienna_total
    );
    assert!(explored
        .columns
        .iter()
        .all(|c| c.label.starts_with("2024-")));
    let by_tag = world
        .service
        .explore(
            Some(&root),
            from,
            to,
            CostDimension::Group,
            Some((
                CostDimension::Tag("business_unit".into()),
                "ViennaAI".into(),
            )),
            None,
        )
        .await
        .unwrap();
    assert!(
        by_tag.lines.iter().all(|l| l.label == "Vienna"),
        "{by_tag:?}"
    );
    let nowhere = world
        .service
        .explore(
            Some(&root),
            from,
            to,
            CostDimension::Service,
            Some((CostDimension::Group, "Nowhere".into())),
            None,
        )
        .await
        .unwrap();
    assert!(nowhere.lines.is_empty());

    // The overview's days, stacked by group, add up to its total; a month so far has a
    // run-rate forecast, a longer period none.
    let overview = world.service.spend_overview(&root, from, to).await.unwrap();
    let stacked: i128 = overview
        .daily_by_group
        .iter()
        .flat_map(|d| d.amounts.iter())
        .map(|a| fixed(a))
        .sum();
    assert_eq!(stacked, fixed(&overview.total));
    assert!(overview.group_series.contains(&"Vienna".to_string()));
    assert!(overview.group_series.contains(&"Unallocated".to_string()));
    assert_eq!(overview.forecast, None);
    let half = world
        .service
        .spend_overview(&root, date!(2024 - 09 - 01), date!(2024 - 09 - 15))
        .await
        .unwrap();
    assert_eq!(
        fixed(half.forecast.as_deref().unwrap()),
        fixed(&half.total) * 30 / 15
    );
    assert!(!overview.top_resources.is_empty());

    // A project manager allowed one group sees that group and nothing else.
    world.user(&root_session, "pm", PM_PASSWORD).await;
    world
        .service
        .put_inline_policy(
            &root,
            Holder::User,
            "pm",
            "vienna-spend",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ce:GetCostAndUsage","Resource":"arn:aws:iam::*:group/Vienna*"}]}"#,
        )
        .await
        .unwrap();
    let (change, _) = world.sign_in("pm", PM_PASSWORD).await;
    let pm = world.caller(&crate::state(&change)).await.unwrap();
    let overview = world.service.spend_overview(&pm, from, to).await.unwrap();
    let seen: Vec<&str> = overview.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(seen, ["Vienna"]);
    assert!(!overview.sees_everything);
    let vienna = by_group.iter().find(|l| l.label == "Vienna").unwrap();
    assert_eq!(fixed(&overview.total), fixed(&vienna.billed));
    // Their service breakdown covers only Vienna's costs.
    let services: i128 = overview.top_services.iter().map(|l| fixed(&l.billed)).sum();
    assert!(services <= fixed(&vienna.billed) + 1);
    // Their group's page adds up: the days, the services and the total agree to the
    // 10⁻¹², whatever the name's spelling; another group, or one that does not exist,
    // is refused alike.
    let page = world
        .service
        .group_spend(&pm, "vIENNA", from, to, "business_unit")
        .await
        .unwrap();
    assert_eq!(page.group, "Vienna");
    assert_eq!(fixed(&page.billed), fixed(&vienna.billed));
    let days: i128 = page
        .daily
        .iter()
        .flat_map(|d| d.amounts.iter())
        .map(|a| fixed(a))
        .sum();
    assert_eq!(days, fixed(&vienna.billed), "stacked days add up");
    assert_eq!(page.daily.len(), 92, "every day of the period is a column");
    let by_service: i128 = page.breakdowns[0]
        .lines
        .iter()
        .map(|l| fixed(&l.billed))
        .sum();
    assert!(by_service <= fixed(&vienna.billed) && by_service > 0);
    let tag = page
        .breakdowns
        .iter()
        .find(|b| b.dimension == "tag:business_unit")
        .unwrap();
    assert!(
        tag.lines.iter().all(|l| l.label.starts_with("Vienna")),
        "{tag:?}"
    );
    assert_eq!(
        page.rules,
        [
            "1. vienna: When tag business_unit starts with \"Vienna\", to group Vienna",
            "3. azure: When service is one of \"Azure App Service\", \"Virtual Network\", to split evenly among Vienna, Platform, Phoenix",
        ]
    );
    for other in ["Phoenix", "Nowhere"] {
        assert!(matches!(
            world.service.group_spend(&pm, other, from, to, "").await,
            Err(ServiceError::AccessDenied(_))
        ));
    }

    let all_of_theirs = world
        .service
        .explore(
            Some(&pm),
            from,
            to,
            CostDimension::Group,
            None,
            Some(store::costs::Every::Month),
        )
        .await
        .unwrap();
    assert_eq!(
        all_of_theirs
            .lines
            .iter()
            .map(|l| l.label.as_str())
            .collect::<Vec<_>>(),
        ["Vienna"]
    );
    // A filter never reaches past the viewer's scope: Phoenix's costs, asked for by
    // name in any spelling, are not among Vienna's manager's, per day either (zones,
    // creators and tags come from per-group daily rollups there); what they do see adds
    // up to Vienna's total.
    for by in [
        CostDimension::AvailabilityZone,
        CostDimension::Creator,
        CostDimension::Tag("business_unit".into()),
        CostDimension::Service,
    ] {
        for every in [Some(store::costs::Every::Day), None] {
            let theirs = world
                .service
                .explore(
                    Some(&pm),
                    from,
                    to,
                    by.clone(),
                    Some((CostDimension::Group, " phoenix ".into())),
                    every,
                )
                .await
                .unwrap();
            assert!(theirs.lines.is_empty(), "{by:?} {every:?}: {theirs:?}");
            let own = world
                .service
                .explore(Some(&pm), from, to, by.clone(), None, every)
                .await
                .unwrap();
            let total: i128 = own.lines.iter().map(|l| fixed(&l.billed)).sum();
            assert_eq!(total, fixed(&vienna.billed), "{by:?} {every:?}");
        }
    }

    // An auditor with ReadOnlyAccess sees every group and Unallocated, and changes nothing.
    world.user(&root_session, "audrey", PM_PASSWORD).await;
    world
        .service
        .attach_policy(
            &root,
            Holder::User,
            "audrey",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
        )
        .await
        .unwrap();
    let (change, _) = world.sign_in("audrey", PM_PASSWORD).await;
    let auditor = world.caller(&crate::state(&change)).await.unwrap();
    let all = world
        .service
        .spend_overview(&auditor, from, to)
        .await
        .unwrap();
    assert!(all.sees_everything);
    assert_eq!(
        fixed(&all.total),
        sums("BillingCurrency").values().sum::<i128>()
    );
    assert!(world.service.cost_rules(&auditor).await.is_ok());
    assert!(world.service.cost_imports(&auditor).await.is_ok());
    assert!(matches!(
        world.service.save_cost_rules(&auditor, rules).await,
        Err(ServiceError::AccessDenied(_))
    ));
    assert!(matches!(
        world
            .service
            .roll_back_cost_import(&auditor, second.id)
            .await,
        Err(ServiceError::AccessDenied(_))
    ));
    let budget = model::costs::BudgetForm {
        group: "Vienna".into(),
        amount: "10".into(),
        actual_thresholds: "100".into(),
        ..Default::default()
    };
    assert!(matches!(
        world.service.set_budget(&auditor, &budget).await,
        Err(ServiceError::AccessDenied(_))
    ));

    // And they may not change rules or import.
    assert!(matches!(
        world.service.save_cost_rules(&pm, rules).await,
        Err(ServiceError::AccessDenied(_))
    ));
    assert!(matches!(
        import(&world, &pm, "x.csv", std::fs::read(sample()).unwrap()).await,
        Err(ServiceError::AccessDenied(_))
    ));
}

#[tokio::test]
async fn bad_files_are_refused_whole_with_their_rows() {
    let world = world().await;
    let root = world.caller(&world.set_up().await).await.unwrap();
    let mut text = std::fs::read_to_string(sample()).unwrap();
    // Break two rows: an unknown currency and a formula.
    text = text.replacen("\"USD\"", "\"XXX\"", 1);
    text = text.replacen("\"Elastic Load Balancing\"", "\"=HYPERLINK(1)\"", 1);
    let err = import(&world, &root, "bad.csv", text.into_bytes())
        .await
        .unwrap_err();
    let ServiceError::BadBillingFile(refusal) = err else {
        panic!("{err:?}")
    };
    assert_eq!(refusal.bad_rows, 2);
    assert_eq!(refusal.rows[0].row, 2);
    assert_eq!(refusal.rows[0].column, "BillingCurrency");
    assert_eq!(
        (refusal.rows[1].row, refusal.rows[1].column.as_str()),
        (3, "ServiceName")
    );
    assert!(
        world.service.cost_days().await.unwrap().is_none(),
        "nothing was written"
    );
    // Cut short.
    let bytes = std::fs::read(sample()).unwrap();
    let cut = bytes[..bytes.len() / 2].to_vec();
    let err = import(&world, &root, "cut.csv", cut).await.unwrap_err();
    assert!(matches!(err, ServiceError::BadBillingFile(_)), "{err:?}");
    assert!(world.service.cost_days().await.unwrap().is_none());
    // Bad rows across many batches of the reader: all counted, the first 100 listed
    // in the file's order, good rows between them never written.
    let generated = String::from_utf8(two_months_generated(3_000, 5, &[])).unwrap();
    let mut text = String::new();
    for (n, line) in generated.lines().enumerate() {
        if n > 0 && n % 10 == 0 {
            assert!(line.contains(",USD,"), "{line}");
            text.push_str(&line.replacen(",USD,", ",XXX,", 1));
        } else {
            text.push_str(line);
        }
        text.push('\n');
    }
    let err = import(&world, &root, "many.csv", text.into_bytes())
        .await
        .unwrap_err();
    let ServiceError::BadBillingFile(refusal) = err else {
        panic!("{err:?}")
    };
    assert_eq!(refusal.bad_rows, 300);
    let rows: Vec<u64> = refusal.rows.iter().map(|r| r.row).collect();
    let expected: Vec<u64> = (1..=100).map(|i| 10 * i + 1).collect();
    assert_eq!(rows, expected, "the header is row 1");
    assert!(world.service.cost_days().await.unwrap().is_none());
    let history = world.service.cost_imports(&root).await.unwrap();
    assert!(history.imports.is_empty(), "{:?}", history.imports);
}

#[tokio::test]
async fn creator_rules_follow_each_users_billing_group() {
    let world = world().await;
    let root_session = world.set_up().await;
    let root = world.caller(&root_session).await.unwrap();
    for group in ["Web", "Data"] {
        world.service.create_group(&root, group).await.unwrap();
    }
    world.user(&root_session, "alice", PM_PASSWORD).await;
    world
        .service
        .add_member(&root, "Web", "alice")
        .await
        .unwrap();
    world
        .service
        .add_member(&root, "Data", "alice")
        .await
        .unwrap();
    let plan = spend::generate::Plan {
        rows: 3_000,
        months: 1,
        start: date!(2026 - 10 - 01),
        seed: 3,
        format: spend::Format::Focus,
        creators: vec!["alice".into(), "nobody".into()],
    };
    let mut bytes = Vec::new();
    spend::generate::write(&plan, &mut bytes).unwrap();
    import(&world, &root, "generated.csv", bytes).await.unwrap();
    world
        .service
        .save_cost_rules(&root, r#"{"rules":[{"name":"creators","when":{"on":"creator"},"then":{"to":"creators_group"}}]}"#)
        .await
        .unwrap();
    let (from, to) = (date!(2026 - 10 - 01), date!(2026 - 10 - 31));
    let by_group = |lines: Vec<model::costs::CostLine>| -> BTreeMap<String, i128> {
        lines
            .into_iter()
            .map(|l| (l.label, fixed(&l.billed)))
            .collect()
    };
    let before = by_group(
        world
            .service
            .cost_report(Some(&root), from, to, CostDimension::Group)
            .await
            .unwrap(),
    );
    // Alice joined Web first; costs she created go there, "nobody" is no user.
    assert!(before.get("Web").copied().unwrap_or(0) > 0, "{before:?}");
    assert!(!before.contains_key("Data"));
    assert!(before.get("Unallocated").copied().unwrap_or(0) > 0);
    // A billing group outside her groups is refused; choosing Data moves her costs.
    world.service.create_group(&root, "Other").await.unwrap();
    let err = world
        .service
        .set_billing_group(&root, "alice", "Other")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Invalid {
                field: "billing_group",
                ..
            }
        ),
        "{err:?}"
    );
    world
        .service
        .set_billing_group(&root, "ALICE", "data")
        .await
        .unwrap();
    let after = by_group(
        world
            .service
            .cost_report(Some(&root), from, to, CostDimension::Group)
            .await
            .unwrap(),
    );
    assert_eq!(after.get("Data"), before.get("Web"));
    assert!(!after.contains_key("Web"));
    assert_eq!(after.values().sum::<i128>(), before.values().sum::<i128>());
}

/// Groups of a rollup table (`bucket` its day or month column) that SQL sums of the
/// line items by `bucket_of_row` do not give, and the other way round.
async fn rollup_differences(
    pool: &sqlx::PgPool,
    table: &str,
    bucket: &str,
    bucket_of_row: &str,
) -> i64 {
    sqlx::query_scalar(&format!(
        "WITH stored AS (
             SELECT import_id, billing_account_id, billing_period_start, {bucket}, key_id,
                 sum(billed_cost)::text, sum(effective_cost)::text, sum(list_cost)::text, sum(line_items)
             FROM {table} GROUP BY 1, 2, 3, 4, 5),
         summed AS (
             SELECT import_id, billing_account_id, billing_period_start, {bucket_of_row} AS bucket, key_id,
                 sum(billed_cost)::text, sum(effective_cost)::text, sum(list_cost)::text, count(*)
             FROM cost_line_items GROUP BY 1, 2, 3, 4, 5)
         SELECT (SELECT count(*) FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM summed) a)
              + (SELECT count(*) FROM (SELECT * FROM summed EXCEPT ALL SELECT * FROM stored) b)"
    ))
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The (key, day) groups of `cost_daily` (summing the rows of each, as every reader
/// does), and how many groups of it and of `cost_key_monthly` the same sums over the
/// line items in SQL do not give, or give and they lack (compared as text, so the
/// decimal scale counts too).
async fn daily_differences(world: &World) -> (i64, i64) {
    let pool = world.service.store().pool();
    let groups: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT DISTINCT import_id, billing_account_id, billing_period_start, day, key_id
                               FROM cost_daily) g",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let differences = rollup_differences(
        pool,
        "cost_daily",
        "day",
        "(charge_period_start AT TIME ZONE 'UTC')::date",
    )
    .await
        + rollup_differences(
            pool,
            "cost_key_monthly",
            "month",
            "date_trunc('month', charge_period_start AT TIME ZONE 'UTC')::date",
        )
        .await;
    (groups, differences)
}

/// The import's summary is what SQL sums from its line items.
async fn assert_totals(world: &World, import: &model::costs::ImportRow) {
    let (line_items, billed, currencies): (i64, String, String) = sqlx::query_as(
        "SELECT count(*), sum(li.billed_cost)::text, string_agg(DISTINCT k.currency, ',')
         FROM cost_line_items li JOIN cost_keys k ON k.id = li.key_id WHERE li.import_id = $1",
    )
    .bind(import.id)
    .fetch_one(world.service.store().pool())
    .await
    .unwrap();
    assert_eq!(
        (
            import.line_items,
            import.billed_total.as_str(),
            import.currencies.as_str()
        ),
        (line_items, billed.as_str(), currencies.as_str())
    );
}

async fn import_limited(
    world: &World,
    caller: &service::Caller,
    bytes: Vec<u8>,
    daily_groups: u64,
) -> model::costs::ImportRow {
    world
        .service
        .import_costs(
            Importer::Caller(caller),
            vec![ImportSource {
                name: "generated.csv".into(),
                bytes: Box::new(std::io::Cursor::new(bytes)),
            }],
            FormatChoice::Auto,
            ImportLimits {
                daily_groups,
                ..ImportLimits::default()
            },
            ImportControl::default(),
        )
        .await
        .unwrap()
}

/// The generated data's teams to groups Web and Data, AWS Support split between them
/// in proportion to their direct spend (shares with many decimals).
const TEAM_RULES: &str = r#"{"rules":[
    {"name":"web","when":{"on":"tag","key":"team","test":{"equals":"web"}},"then":{"to":"group","group":"Web"}},
    {"name":"data","when":{"on":"tag","key":"team","test":{"equals":"data"}},"then":{"to":"group","group":"Data"}},
    {"name":"shared","when":{"on":"service","test":{"prefix":"AWS Support"}},"then":{"to":"split","groups":["Web","Data"],"method":"proportional"}}
]}"#;

/// A rule preview reuses the keys it read while the billing data is unchanged, and
/// answers as a server that never read them would once another instance imported
/// or rolled back data.
#[tokio::test]
async fn previews_follow_imports_and_rollbacks_made_by_another_instance() {
    let world = world().await;
    let root_session = world.set_up().await;
    let root = world.caller(&root_session).await.unwrap();
    for group in ["Web", "Data"] {
        world.service.create_group(&root, group).await.unwrap();
    }
    let other = world.another_instance().await;
    let (from, to) = (date!(2026 - 09 - 01), date!(2026 - 10 - 31));
    let preview = |service: service::Service| {
        let root = root.clone();
        async move {
            service
                .preview_cost_rules(&root, TEAM_RULES, from, to)
                .await
                .unwrap()
        }
    };
    let fresh = || async { preview(world.another_instance().await).await };
    let indexes = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT indexdef FROM pg_indexes
             WHERE tablename LIKE 'cost\\_group\\_%' OR tablename = 'cost_resources_monthly' ORDER BY 1",
        )
        .fetch_all(world.service.store().pool())
        .await
        .unwrap()
    };
    let migrated = indexes().await;
    assert!(
        migrated
            .iter()
            .any(|i| i.contains("cost_resources_monthly_top")),
        "{migrated:?}"
    );

    import(
        &world,
        &root,
        "first.csv",
        two_months_generated(2_000, 3, &[]),
    )
    .await
    .unwrap();
    let first = preview(world.service.clone()).await;
    assert!(
        first.iter().any(|c| c.name == "Web" && fixed(&c.after) > 0),
        "{first:?}"
    );
    assert_eq!(preview(world.service.clone()).await, first, "asked again");

    // Another instance imports more (another billing account): this one's next
    // preview counts it.
    let more = String::from_utf8(two_months_generated(2_000, 4, &[]))
        .unwrap()
        .replace("123456789012", "123456789099");
    let second = import_through(&other, &root, "second.csv", more.into_bytes())
        .await
        .unwrap();
    let after_import = preview(world.service.clone()).await;
    assert_ne!(after_import, first);
    assert_eq!(after_import, fresh().await);

    // And rolls it back: back to the first answer.
    other.roll_back_cost_import(&root, second.id).await.unwrap();
    let after_rollback = preview(world.service.clone()).await;
    assert_eq!(after_rollback, fresh().await);
    assert_eq!(after_rollback, first);
    // Rebuilding a rollup drops its indexes and builds them again after the rows.
    assert_eq!(indexes().await, migrated, "every index is back");
    // The sums partitions the first import made got their index once their sums were
    // in; the second import into the same periods kept them.
    let sums_indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, coalesce(string_agg(pg_get_indexdef(x.indexrelid), '; '), '')
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             LEFT JOIN pg_index x ON x.indrelid = c.oid
         WHERE i.inhparent IN ('cost_daily'::regclass, 'cost_key_monthly'::regclass)
         GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(world.service.store().pool())
    .await
    .unwrap();
    let expected: Vec<(String, String)> = ["202609", "202610"]
        .iter()
        .flat_map(|p| {
            [
                (
                    format!("cost_daily_p{p}"),
                    format!("CREATE INDEX cost_daily_p{p}_day ON public.cost_daily_p{p} USING btree (day, key_id)"),
                ),
                (
                    format!("cost_key_monthly_p{p}"),
                    format!("CREATE INDEX cost_key_monthly_p{p}_month ON public.cost_key_monthly_p{p} USING btree (month, key_id)"),
                ),
            ]
        })
        .collect();
    let mut expected = expected;
    expected.sort();
    assert_eq!(sums_indexes, expected);
}

/// FOCUS CSV from the generator: `rows` line items over September and October 2026,
/// some created by `creators`.
fn two_months_generated(rows: u64, seed: u64, creators: &[&str]) -> Vec<u8> {
    let mut generated = Vec::new();
    spend::generate::write(
        &spend::generate::Plan {
            rows,
            months: 2,
            start: date!(2026 - 09 - 01),
            seed,
            format: spend::Format::Focus,
            creators: creators.iter().map(|c| c.to_string()).collect(),
        },
        &mut generated,
    )
    .unwrap();
    generated
}

/// The daily rollups the reader sums as it streams are exactly what SQL would sum
/// from the line items, whether they fit in memory, were handed over in many small
/// parts, or could not be held exactly (an amount with 30 decimals) and were
/// summed in SQL instead.
#[tokio::test]
async fn daily_sums_equal_sql_sums_of_the_line_items() {
    let world = world().await;
    let root_session = world.set_up().await;
    let root = world.caller(&root_session).await.unwrap();
    let generated = two_months_generated(4_000, 11, &["alice"]);

    let first = import_limited(&world, &root, generated.clone(), 500_000).await;
    assert_totals(&world, &first).await;
    let (rows, differences) = daily_differences(&world).await;
    assert!(rows > 100, "{rows} daily rows");
    assert_eq!(differences, 0, "summed in memory");

    // Seven groups in memory at a time: hundreds of spills to disk, one (key, day)
    // in several of them, added up into one row each.
    let second = import_limited(&world, &root, generated, 7).await;
    assert_totals(&world, &second).await;
    let (again, differences) = daily_differences(&world).await;
    assert_eq!(again, rows, "the second import replaced the first");
    assert_eq!(differences, 0, "summed in parts");
    for table in ["cost_daily", "cost_key_monthly"] {
        let split: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} GROUP BY import_id, key_id, {} HAVING count(*) > 1 LIMIT 1",
            if table == "cost_daily" { "day" } else { "month" }
        ))
        .fetch_optional(world.service.store().pool())
        .await
        .unwrap();
        assert_eq!(split, None, "{table}: parts added up into one row");
    }
    let staged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relname LIKE 'cost%staged' OR relname IN ('cost_key_facets', 'cost_key_shares')",
    )
    .fetch_one(world.service.store().pool())
    .await
    .unwrap();
    assert_eq!(staged, 0, "no work table outlives its transaction");

    // The group rollup dashboards read equals multiplying every daily row by its
    // share, also for a proportional split (shares with many decimals).
    for group in ["Web", "Data"] {
        world.service.create_group(&root, group).await.unwrap();
    }
    world
        .service
        .save_cost_rules(&root, TEAM_RULES)
        .await
        .unwrap();
    let pool = world.service.store().pool();
    let (groups, splits, differences): (i64, i64, i64) = sqlx::query_as(
        "WITH direct AS (
             SELECT d.day, a.group_id, a.rule, k.service_name, k.sub_account_id, k.region_id, k.charge_category,
                 k.currency, sum(d.billed_cost * coalesce(a.share, 1))::text AS billed,
                 sum(d.effective_cost * coalesce(a.share, 1))::text AS effective
             FROM cost_daily d JOIN cost_keys k ON k.id = d.key_id
             LEFT JOIN cost_allocations a ON a.key_id = d.key_id
             GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
         stored AS (
             SELECT day, group_id, rule, service_name, sub_account_id, region_id, charge_category, currency,
                 billed_cost::text, effective_cost::text FROM cost_group_daily)
         SELECT (SELECT count(DISTINCT group_id) FROM cost_group_daily),
                (SELECT count(*) FROM cost_allocations WHERE share < 1),
                (SELECT count(*) FROM (SELECT * FROM direct EXCEPT ALL SELECT * FROM stored) a)
              + (SELECT count(*) FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM direct) b)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(groups, 2, "both groups hold costs");
    assert!(splits > 0, "the support costs were split");
    assert_eq!(differences, 0, "the group rollup is exact");

    // Reports by what only keys hold (a tag, a resource) equal the per-row products,
    // for whole months (read from the monthly sums) and for any days (daily sums).
    // (The service's `to` is inclusive.)
    let ranges = [
        (date!(2026 - 10 - 01), date!(2026 - 10 - 31)),
        (date!(2026 - 10 - 03), date!(2026 - 10 - 19)),
    ];
    for (from, to) in ranges {
        for (by, column) in [
            (
                CostDimension::Tag("team".into()),
                "coalesce(k.tags->>'team', k.tags->>' team', '')",
            ),
            (CostDimension::Resource, "k.resource_id"),
        ] {
            let direct: BTreeMap<String, String> = sqlx::query_as::<_, (String, String)>(&format!(
                "SELECT {column}, sum(d.billed_cost * coalesce(a.share, 1))::text
                     FROM cost_daily d JOIN cost_keys k ON k.id = d.key_id
                     LEFT JOIN cost_allocations a ON a.key_id = d.key_id
                     WHERE d.day >= $1 AND d.day <= $2 GROUP BY 1"
            ))
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
            let report = world
                .service
                .cost_report(Some(&root), from, to, by.clone())
                .await
                .unwrap();
            let named: Vec<_> = report
                .iter()
                .filter(|l| direct.contains_key(&l.label))
                .collect();
            assert!(named.len() > 2, "{by:?} {from}: {report:?}");
            for line in named {
                assert_eq!(
                    line.billed, direct[&line.label],
                    "{by:?} {from} {}",
                    line.label
                );
            }
        }
    }

    // The explorer's matrix by a tag, per month, per day and in all, for whole months
    // (monthly sums) and for days: equal to the per-row products.
    use store::costs::{CostMatrix, CostQuery, Every, GroupScope};
    for (from, to) in [
        (date!(2026 - 10 - 01), date!(2026 - 12 - 01)),
        (date!(2026 - 10 - 03), date!(2026 - 11 - 20)),
    ] {
        for (every, period) in [
            (None, "''::text"),
            (Some(Every::Month), "to_char(d.day, 'YYYY-MM')"),
            (Some(Every::Day), "d.day::text"),
        ] {
            let direct: BTreeMap<(String, String), String> =
                sqlx::query_as::<_, (String, String, String)>(&format!(
                    "SELECT {period}, coalesce(k.tags->>'team', k.tags->>' team', ''),
                         sum(d.billed_cost * coalesce(a.share, 1))::text
                     FROM cost_daily d JOIN cost_keys k ON k.id = d.key_id
                     LEFT JOIN cost_allocations a ON a.key_id = d.key_id
                     WHERE d.day >= $1 AND d.day < $2 GROUP BY 1, 2"
                ))
                .bind(from)
                .bind(to)
                .fetch_all(pool)
                .await
                .unwrap()
                .into_iter()
                .map(|(period, value, billed)| ((period, value), billed))
                .collect();
            let matrix = world
                .service
                .store()
                .cost_matrix(&CostMatrix {
                    query: CostQuery {
                        from,
                        to,
                        by: CostDimension::Tag("team".into()),
                        scope: GroupScope::All,
                        group: None,
                    },
                    every,
                    filter: None,
                })
                .await
                .unwrap();
            let named: Vec<_> = matrix
                .iter()
                .filter(|r| direct.contains_key(&(r.period.clone(), r.value.clone())))
                .collect();
            assert!(named.len() > 2, "{every:?} {from}: {matrix:?}");
            // The same amount; the per-day facets write it without the shares' digits.
            let exact = |text: &str| match text.contains('.') {
                true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
                false => text.to_string(),
            };
            for row in named {
                assert_eq!(
                    exact(&row.billed),
                    exact(&direct[&(row.period.clone(), row.value.clone())]),
                    "{every:?} {from} {} {}",
                    row.period,
                    row.value
                );
            }
        }
    }

    // One amount too precise to hold, after many sums were handed over: the store
    // drops them and sums in SQL, to the last decimal.
    let mut reader = csv::Reader::from_path(sample()).unwrap();
    let header = reader.headers().unwrap().clone();
    let billed = header.iter().position(|h| h == "BilledCost").unwrap();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for (n, record) in reader.records().enumerate() {
        let mut fields: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
        if n == 900 {
            fields[billed] = "0.000000000000000000000000000123".into();
        }
        writer.write_record(&fields).unwrap();
    }
    let precise_import = import_limited(&world, &root, writer.into_inner().unwrap(), 7).await;
    assert_totals(&world, &precise_import).await;
    let (_, differences) = daily_differences(&world).await;
    assert_eq!(differences, 0, "summed in SQL");
    let precise: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM cost_daily WHERE billed_cost::text LIKE '%000000000000000000000000123'",
    )
    .fetch_one(world.service.store().pool())
    .await
    .unwrap();
    assert_eq!(precise, 1);

    // Rolled back, the import leaves nothing in either rollup.
    world
        .service
        .roll_back_cost_import(&root, precise_import.id)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM cost_daily WHERE import_id = $1)
              + (SELECT count(*) FROM cost_key_monthly WHERE import_id = $1)
              + (SELECT count(*) FROM cost_line_items WHERE import_id = $1)",
    )
    .bind(precise_import.id)
    .fetch_one(world.service.store().pool())
    .await
    .unwrap();
    assert_eq!(left, 0);

    // Parts that only overflow when a spilled day is added up at the end, after the
    // days before it were copied: those are deleted again and SQL sums everything.
    // One held group at a time, the last day's row twice with an effective cost of
    // 10^14 (each fits in 38 digits at 10⁻²⁴, their sum does not).
    let mut reader = csv::Reader::from_path(sample()).unwrap();
    let header = reader.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (effective, start) = (column("EffectiveCost"), column("ChargePeriodStart"));
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let last = rows.iter().map(|r| r[start].clone()).max().unwrap();
    let mut twice = rows.iter().find(|r| r[start] == last).unwrap().clone();
    twice[effective] = "100000000000000".into();
    rows.push(twice.clone());
    rows.push(twice);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    let overflowing = import_limited(&world, &root, writer.into_inner().unwrap(), 1).await;
    assert_totals(&world, &overflowing).await;
    let (_, differences) = daily_differences(&world).await;
    assert_eq!(
        differences, 0,
        "summed in SQL after the spilled parts overflowed"
    );
    let large: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM cost_daily WHERE import_id = $1 AND effective_cost >= 200000000000000",
    )
    .bind(overflowing.id)
    .fetch_one(world.service.store().pool())
    .await
    .unwrap();
    assert_eq!(large, 1);
}

/// A question of [`every_rollup_answers_as_the_per_key_sums`]: by, filter, every,
/// and indexes into its ranges and scopes.
/// A report's cells with their amounts in the fewest digits: sums over the facets
/// and over shared keys' shares are the same amounts, written in other scales.
fn amounts(rows: &[store::costs::MatrixRow]) -> Vec<[String; 4]> {
    rows.iter()
        .map(|r| {
            [
                r.period.clone(),
                r.value.clone(),
                exact(&r.billed),
                exact(&r.effective),
            ]
        })
        .collect()
}

/// A report's rows with amounts as [`amounts`] writes them.
fn report_amounts(rows: &[store::costs::CostRow]) -> Vec<[String; 3]> {
    rows.iter()
        .map(|r| [r.value.clone(), exact(&r.billed), exact(&r.effective)])
        .collect()
}

/// An exact amount without the trailing zeros that multiplying by shares adds.
fn exact(text: &str) -> String {
    match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => text.to_string(),
    }
}

type Question = (
    CostDimension,
    Option<(CostDimension, String)>,
    Option<store::costs::Every>,
    usize,
    usize,
);

/// Every table a question may be answered from (the group rollup, its facets, its
/// monthly resources) gives exactly what the per-key sums give: every dimension,
/// with and without a filter, per day, per month and in all, for whole months,
/// for odd days, for a month to date past the data, in every scope. Tag keys are
/// written in other cases, with `user:`, with non-ASCII letters and spaces, twice on
/// one resource, or missing; some costs are split in shares with many decimals.
#[tokio::test]
async fn every_rollup_answers_as_the_per_key_sums() {
    rollups_answer_as_the_per_key_sums(0).await;
}

/// The same where thousands of resources share one zone, creator and tags (a fleet):
/// then the facet rollups add up the days per set of facet values before unnesting
/// them, and must give the same answers.
#[tokio::test]
async fn every_rollup_answers_as_the_per_key_sums_when_many_keys_share_facets() {
    rollups_answer_as_the_per_key_sums(3_000).await;
}

/// Checks every rollup against the per-key sums over generated data, with `fleet`
/// more resources like one of them but for their id.
async fn rollups_answer_as_the_per_key_sums(fleet: usize) {
    use store::costs::{CostMatrix, CostQuery, Every, GroupScope};
    let world = world().await;
    let root_session = world.set_up().await;
    let root = world.caller(&root_session).await.unwrap();
    let generated = two_months_generated(3_000, 5, &["alice", "bob"]);
    let mut reader = csv::Reader::from_reader(generated.as_slice());
    let header = reader.headers().unwrap().clone();
    let tags = header.iter().position(|h| h == "Tags").unwrap();
    let resource = header.iter().position(|h| h == "ResourceId").unwrap();
    let odd_tags = [
        r#"{"User:Team ": "web", "team": "data"}"#,
        r#"{"Équipe": "rouge", "TEAM": "web", "cost": 1e3}"#,
        "{\"\u{3000}team\u{a0}\": \"data\", \"user:  équipe\": \"bleu\"}",
        "{}",
    ];
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for (n, record) in reader.records().enumerate() {
        let mut fields: Vec<String> = record.unwrap().iter().map(str::to_string).collect();
        if n % 7 == 0 {
            fields[tags] = odd_tags[n / 7 % odd_tags.len()].to_string();
        }
        writer.write_record(&fields).unwrap();
        if n == 1 {
            for member in 0..fleet {
                fields[resource] = format!("i-fleet{member:05}");
                writer.write_record(&fields).unwrap();
            }
        }
    }
    let imported = import(&world, &root, "generated.csv", writer.into_inner().unwrap())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for group in ["Web", "Data"] {
        world.service.create_group(&root, group).await.unwrap();
        ids.push(
            world
                .service
                .store()
                .group(group)
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    // A rule name with what CSV and COPY treat specially reaches every table as written.
    let odd_name = r#"web, \"east\"\n(ops) \\N"#;
    let rules = TEAM_RULES.replace(r#""name":"web""#, &format!(r#""name":"{odd_name}""#));
    world.service.save_cost_rules(&root, &rules).await.unwrap();
    let store = world.service.store();
    let pool = store.pool();
    let odd_name: String = serde_json::from_str(&format!("\"{odd_name}\"")).unwrap();
    let named: Vec<i64> = sqlx::query_scalar(
        "SELECT count(*) FROM cost_allocations WHERE rule = $1
         UNION ALL SELECT count(*) FROM cost_group_daily WHERE rule = $1",
    )
    .bind(&odd_name)
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(named.iter().all(|n| *n > 0), "{odd_name:?}: {named:?}");

    // SQL and the rules normalise tag keys alike.
    for key in [
        "  User: Équipe ",
        "TEAM\u{2003}",
        "\tuser:\u{3000}Cost Center",
        "user:",
        "ÉQUIPE",
        "Ärger:User:x",
    ] {
        let sql: String = sqlx::query_scalar("SELECT cost_tag_key($1)")
            .bind(key)
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(sql, spend::item::normalise_tag_key(key), "{key:?}");
    }
    let facets: Vec<String> = sqlx::query_scalar("SELECT facet FROM cost_facets ORDER BY 1")
        .fetch_all(pool)
        .await
        .unwrap();
    for facet in ["creator", "resource", "tag:team", "tag:Équipe", "zone"] {
        assert!(facets.iter().any(|f| f == facet), "{facet} in {facets:?}");
    }
    // A number's text is PostgreSQL's to write: that tag key is left to the per-key sums.
    assert!(!facets.iter().any(|f| f == "tag:cost"), "{facets:?}");

    let web = ids[0].clone();
    let dimensions = [
        CostDimension::AvailabilityZone,
        CostDimension::Creator,
        CostDimension::Tag(" user:TEAM".into()),
        CostDimension::Tag("équipe".into()),
        CostDimension::Tag("Équipe".into()),
        CostDimension::Tag("no such key".into()),
        CostDimension::Tag("Cost".into()),
        CostDimension::Resource,
        CostDimension::Group,
        CostDimension::Day,
        CostDimension::Month,
    ];
    let filters = [
        None,
        Some((CostDimension::Group, web.clone())),
        Some((CostDimension::Group, String::new())),
        Some((CostDimension::Tag("team".into()), "web".to_string())),
        Some((CostDimension::AvailabilityZone, String::new())),
        Some((CostDimension::Creator, "alice".to_string())),
    ];
    let scopes = [
        (GroupScope::All, None),
        (
            GroupScope::Only {
                group_ids: vec![web.clone()],
                unallocated: false,
            },
            None,
        ),
        (GroupScope::All, Some(Some(web.clone()))),
        (GroupScope::All, Some(None)),
    ];
    let ranges = [
        (date!(2026 - 09 - 01), date!(2026 - 11 - 01)),
        (date!(2026 - 09 - 03), date!(2026 - 10 - 20)),
        (date!(2026 - 10 - 01), date!(2027 - 01 - 15)),
        (date!(2026 - 08 - 20), date!(2026 - 10 - 01)),
        (date!(2027 - 01 - 01), date!(2027 - 02 - 01)),
    ];
    let mut questions = Vec::new();
    for by in &dimensions {
        for filter in &filters {
            for every in [None, Some(Every::Month), Some(Every::Day)] {
                questions.push((by.clone(), filter.clone(), every, 0, 0));
            }
            for range in 1..ranges.len() {
                questions.push((by.clone(), filter.clone(), None, range, 0));
            }
            for scope in 1..scopes.len() {
                for every in [Some(Every::Month), Some(Every::Day)] {
                    questions.push((by.clone(), filter.clone(), every, 1, scope));
                }
            }
        }
    }
    let ask = |(by, filter, every, range, scope): &Question| CostMatrix {
        query: CostQuery {
            from: ranges[*range].0,
            to: ranges[*range].1,
            by: by.clone(),
            scope: scopes[*scope].0.clone(),
            group: scopes[*scope].1.clone(),
        },
        every: *every,
        filter: filter.clone(),
    };
    let mut fast = Vec::new();
    for question in &questions {
        fast.push(store.cost_matrix(&ask(question)).await.unwrap());
    }
    // The dashboards' top resources: read off an index for a whole month, of all
    // groups or of one.
    let tops: Vec<CostQuery> = [
        (GroupScope::All, None),
        (GroupScope::All, Some(Some(web.clone()))),
        (
            GroupScope::Only {
                group_ids: vec![web.clone()],
                unallocated: true,
            },
            None,
        ),
    ]
    .into_iter()
    .flat_map(|(scope, group)| {
        [
            (date!(2026 - 10 - 01), date!(2026 - 11 - 01)),
            (date!(2026 - 10 - 01), date!(2027 - 03 - 01)),
        ]
        .map(|(from, to)| CostQuery {
            from,
            to,
            by: CostDimension::Resource,
            scope: scope.clone(),
            group: group.clone(),
        })
    })
    .collect();
    let mut fast_tops = Vec::new();
    for query in &tops {
        let top = store.cost_top(query, Some(10)).await.unwrap();
        assert_eq!(top.len(), 10, "{query:?}");
        fast_tops.push(top);
    }
    // A group's zones, creators and tags per day are read from the rollups, never
    // from the per-key sums (which this hides for a moment).
    sqlx::query("ALTER TABLE cost_daily RENAME TO cost_daily_hidden")
        .execute(pool)
        .await
        .unwrap();
    let mut per_day = Vec::new();
    for (by, scope) in [
        (CostDimension::AvailabilityZone, 2),
        (CostDimension::Creator, 1),
        (CostDimension::Tag("TEAM ".into()), 3),
        (CostDimension::AvailabilityZone, 0),
    ] {
        let question = (by, None, Some(Every::Day), 1, scope);
        per_day.push(store.cost_matrix(&ask(&question)).await);
    }
    sqlx::query("ALTER TABLE cost_daily_hidden RENAME TO cost_daily")
        .execute(pool)
        .await
        .unwrap();
    for answer in per_day {
        assert!(answer.unwrap().len() > 1);
    }
    // The resources of all groups do not depend on the rules: a rule change keeps them.
    let built = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT xmin::text || imports
                 || (SELECT string_agg(DISTINCT xmin::text, ',') FROM cost_resources_monthly)
             FROM cost_data_rollups_source",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    };
    let before = built().await;
    world.service.reallocate(None).await.unwrap();
    assert_eq!(before, built().await, "rebuilt by a rule change");
    // The per-group rollup by service, sub-account, region, category and currency is
    // every key's daily sums times its shares, to the digit.
    let (rows, differences): (i64, i64) = sqlx::query_as(
        "WITH direct AS (
             SELECT d.day, a.group_id, a.rule, k.service_name, k.sub_account_id, k.region_id,
                 k.charge_category, k.currency, sum(d.billed_cost * coalesce(a.share, 1))::text,
                 sum(d.effective_cost * coalesce(a.share, 1))::text
             FROM cost_daily d JOIN cost_keys k ON k.id = d.key_id
             LEFT JOIN cost_allocations a ON a.key_id = d.key_id
             GROUP BY 1, 2, 3, 4, 5, 6, 7, 8),
         stored AS (
             SELECT day, group_id, rule, service_name, sub_account_id, region_id, charge_category,
                 currency, billed_cost::text, effective_cost::text
             FROM cost_group_daily)
         SELECT (SELECT count(*) FROM stored),
             (SELECT count(*) FROM (SELECT * FROM direct EXCEPT ALL SELECT * FROM stored) a)
             + (SELECT count(*) FROM (SELECT * FROM stored EXCEPT ALL SELECT * FROM direct) b)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(rows > 100, "{rows} rows");
    assert_eq!(differences, 0, "cost_group_daily against the per-key sums");
    let answered = fast.iter().filter(|rows| rows.len() > 1).count();
    assert!(
        answered > questions.len() / 2,
        "{answered} of {}",
        questions.len()
    );
    // Without the facets (as before the first allocation), every question falls back
    // to the per-key sums.
    sqlx::query("DELETE FROM cost_facets")
        .execute(pool)
        .await
        .unwrap();
    for (question, fast) in questions.iter().zip(&fast) {
        let slow = store.cost_matrix(&ask(question)).await.unwrap();
        assert_eq!(amounts(fast), amounts(&slow), "{question:?}");
    }
    for (query, fast) in tops.iter().zip(&fast_tops) {
        assert_eq!(
            report_amounts(fast),
            report_amounts(&store.cost_top(query, Some(10)).await.unwrap()),
            "{query:?}"
        );
    }

    // A deleted group's costs become Unallocated in every table alike.
    world.service.reallocate(None).await.unwrap();
    let data = ids[1].clone();
    world
        .service
        .delete_group(&root, "Data", "Data")
        .await
        .unwrap();
    let held: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM cost_group_daily WHERE group_id = $1)
              + (SELECT count(*) FROM cost_group_facets_daily WHERE group_id = $1)
              + (SELECT count(*) FROM cost_group_facets_monthly WHERE group_id = $1)
              + (SELECT count(*) FROM cost_group_resources_monthly WHERE group_id = $1)",
    )
    .bind(&data)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(held, 0, "the deleted group holds nothing");
    let question = (
        CostDimension::Group,
        Some((CostDimension::Tag("team".into()), "data".to_string())),
        None,
        0,
        0,
    );
    let by_facets = store.cost_matrix(&ask(&question)).await.unwrap();
    sqlx::query("DELETE FROM cost_facets")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(by_facets, store.cost_matrix(&ask(&question)).await.unwrap());
    assert!(by_facets.iter().any(|row| row.value.is_empty()));

    // Rolled back, the only import leaves every rollup empty.
    world
        .service
        .roll_back_cost_import(&root, imported.id)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM cost_group_daily) + (SELECT count(*) FROM cost_group_facets_monthly)
              + (SELECT count(*) FROM cost_group_resources_monthly)
              + (SELECT count(*) FROM cost_resources_monthly) + (SELECT count(*) FROM cost_group_facets_daily)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "no rollup outlives its import");
}

/// Rule changes made at once by two instances (and an import beside them) each
/// build their rollups with work tables of the same names: the allocation lock
/// takes them one at a time, every one succeeds, and no work table is left over.
#[tokio::test]
async fn rule_changes_from_two_instances_at_once_all_apply() {
    let world = world().await;
    let root_session = world.set_up().await;
    let root = world.caller(&root_session).await.unwrap();
    for group in ["Web", "Data"] {
        world.service.create_group(&root, group).await.unwrap();
    }
    import(
        &world,
        &root,
        "first.csv",
        two_months_generated(2_000, 5, &[]),
    )
    .await
    .unwrap();
    let other = world.another_instance().await;
    let more = String::from_utf8(two_months_generated(1_000, 6, &[]))
        .unwrap()
        .replace("123456789012", "123456789099");
    let (here, there, imported) = tokio::join!(
        world.service.save_cost_rules(&root, TEAM_RULES),
        other.save_cost_rules(&root, TEAM_RULES),
        import_through(&other, &root, "second.csv", more.into_bytes()),
    );
    here.unwrap();
    there.unwrap();
    imported.unwrap();
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class WHERE relname LIKE 'cost%staged'
             OR relname IN ('cost_key_facets', 'cost_key_shares', 'cost_share_daily', 'cost_facet_day_sums')",
    )
    .fetch_one(world.service.store().pool())
    .await
    .unwrap();
    assert_eq!(left, 0, "no work table outlives its transaction");
}
