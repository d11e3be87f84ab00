//! Realistic billing data for tests and benchmarks, the same for the same seed.
//!
//! Several sub-accounts, services, regions and zones; resources that live for days
//! or weeks and are billed hourly; tags by team and project (with the stray spaces
//! and casing real exports have); an `aws:createdBy` tag naming users of this
//! account; a share of untagged resources, shared support and networking charges,
//! and a few credits and taxes.

use std::io::Write;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use time::{Date, Duration, Month};

use crate::read::Format;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub rows: u64,
    pub months: u32,
    /// The first billing period (its day is ignored).
    pub start: Date,
    pub seed: u64,
    pub format: Format,
    /// Users of this account named by `aws:createdBy`.
    pub creators: Vec<String>,
}

const BILLING_ACCOUNT: &str = "123456789012";
const SUB_ACCOUNTS: &[(&str, &str)] = &[
    ("210987654321", "web-prod"),
    ("310987654321", "data-prod"),
    ("410987654321", "ml-research"),
    ("510987654321", "sandbox"),
];
/// (service, category, unit, price per unit in millionths, resource type)
const SERVICES: &[(&str, &str, &str, i64, &str)] = &[
    (
        "Amazon Elastic Compute Cloud",
        "Compute",
        "Hrs",
        96_000,
        "ec2:instance",
    ),
    (
        "Amazon Simple Storage Service",
        "Storage",
        "GB-Mo",
        23_000,
        "s3:bucket",
    ),
    (
        "Amazon Relational Database Service",
        "Databases",
        "Hrs",
        171_000,
        "rds:db",
    ),
    (
        "AWS Lambda",
        "Compute",
        "Lambda-GB-Second",
        17,
        "lambda:function",
    ),
    (
        "Amazon DynamoDB",
        "Databases",
        "ReadRequestUnits",
        250,
        "dynamodb:table",
    ),
    (
        "Elastic Load Balancing",
        "Networking",
        "LCU-Hours",
        8_000,
        "elasticloadbalancing:loadbalancer",
    ),
    (
        "Amazon CloudFront",
        "Networking",
        "GB",
        85_000,
        "cloudfront:distribution",
    ),
];
const DEFAULT_SERVICE: (&str, &str, &str, i64, &str) = (
    "Amazon Elastic Compute Cloud",
    "Compute",
    "Hrs",
    96_000,
    "ec2:instance",
);
const REGIONS: &[&str] = &["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"];
const TEAMS: &[&str] = &["web", "data", "ml", "platform", "mobile"];
const PROJECTS: &[&str] = &[
    "checkout",
    "search",
    "recommendations",
    "billing",
    "onboarding",
    "analytics",
];

struct Resource {
    service: usize,
    region: usize,
    zone: char,
    sub_account: usize,
    id: String,
    tags: Vec<(String, String)>,
    /// First and last hour of life, counted from the start.
    born: i64,
    dies: i64,
    quantity: i64,
}

/// Writes the plan's rows as CSV.
pub fn write(plan: &Plan, out: &mut impl Write) -> std::io::Result<()> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let months = plan.months.max(1);
    let start = plan.start.replace_day(1).unwrap_or(plan.start);
    let end = add_months(start, months);
    let hours = (end - start).whole_hours().max(1);
    let creators: Vec<String> = if plan.creators.is_empty() {
        vec!["alice".into(), "bob".into(), "carol".into()]
    } else {
        plan.creators.clone()
    };
    let resource_count = (plan.rows / 40).clamp(20, 200_000) as usize;
    let mut resources = Vec::with_capacity(resource_count);
    for n in 0..resource_count {
        let service = rng.gen_range(0..SERVICES.len());
        let team = rng.gen_range(0..TEAMS.len());
        let sub_account = team % SUB_ACCOUNTS.len();
        let region = rng.gen_range(0..REGIONS.len());
        let (_, _, _, _, kind) = SERVICES.get(service).copied().unwrap_or(DEFAULT_SERVICE);
        let (prefix, noun) = kind.split_once(':').unwrap_or(("ec2", "instance"));
        let sub = SUB_ACCOUNTS.get(sub_account).map(|s| s.0).unwrap_or("0");
        let region_name = REGIONS.get(region).copied().unwrap_or("us-east-1");
        let id = format!("arn:aws:{prefix}:{region_name}:{sub}:{noun}/r-{n:08x}");
        let mut tags = Vec::new();
        // One resource in twelve is untagged, as in real accounts.
        if rng.gen_ratio(11, 12) {
            let key = if rng.gen_ratio(1, 20) {
                " team"
            } else {
                "team"
            };
            tags.push((
                key.to_string(),
                TEAMS.get(team).copied().unwrap_or("web").to_string(),
            ));
            let project = PROJECTS
                .get(rng.gen_range(0..PROJECTS.len()))
                .copied()
                .unwrap_or("search");
            tags.push(("project".to_string(), project.to_string()));
            tags.push((
                "environment".to_string(),
                if rng.gen_ratio(2, 3) { "prod" } else { "dev" }.to_string(),
            ));
        }
        if rng.gen_ratio(3, 4) {
            let user = creators
                .get(rng.gen_range(0..creators.len()))
                .cloned()
                .unwrap_or_default();
            tags.push((
                "aws:createdBy".to_string(),
                format!("IAMUser:AIDA{:016X}:{user}", fnv(&user)),
            ));
        }
        let born = rng.gen_range(0..hours);
        let life = rng.gen_range(24..24 * 40);
        resources.push(Resource {
            service,
            region,
            zone: char::from(b'a' + rng.gen_range(0..3u8)),
            sub_account,
            id,
            tags,
            born,
            dies: (born + life).min(hours - 1),
            quantity: rng.gen_range(1..400),
        });
    }

    let mut csv = csv::Writer::from_writer(out);
    match plan.format {
        Format::Focus => csv.write_record(FOCUS_HEADER)?,
        Format::Cur | Format::Cur2 => csv.write_record(CUR_HEADER)?,
    }
    for row in 0..plan.rows {
        let shared = rng.gen_ratio(1, 50);
        let special = rng.gen_ratio(1, 400);
        let resource = resources.get(rng.gen_range(0..resources.len()));
        let Some(resource) = resource else { break };
        let hour = if shared {
            rng.gen_range(0..hours)
        } else {
            rng.gen_range(resource.born..=resource.dies.max(resource.born))
        };
        let begin = time::PrimitiveDateTime::new(start, time::Time::MIDNIGHT).assume_utc()
            + Duration::hours(hour);
        let period = begin.date().replace_day(1).unwrap_or(start);
        let (service, category, unit, price, _) = SERVICES
            .get(resource.service)
            .copied()
            .unwrap_or(DEFAULT_SERVICE);
        let (service, category, unit, price) = if shared {
            if row % 2 == 0 {
                (
                    "AWS Support (Business)",
                    "Management and Governance",
                    "Dollars",
                    1_000_000,
                )
            } else {
                ("AWS Data Transfer", "Networking", "GB", 90_000)
            }
        } else {
            (service, category, unit, price)
        };
        // Quantity in ten-thousandths, price in millionths: cost in 10⁻¹⁰, exactly.
        let quantity = resource.quantity * rng.gen_range(50..150) * 10;
        let mut cost = i128::from(quantity) * i128::from(price);
        let charge_category = if special {
            if row % 2 == 0 {
                cost = -cost / 3;
                "Credit"
            } else {
                "Tax"
            }
        } else {
            "Usage"
        };
        let region = REGIONS.get(resource.region).copied().unwrap_or("us-east-1");
        let (sub_id, sub_name) = SUB_ACCOUNTS
            .get(resource.sub_account)
            .copied()
            .unwrap_or(("210987654321", "web-prod"));
        let resource_id = if shared || special {
            String::new()
        } else {
            resource.id.clone()
        };
        let zone = if shared {
            String::new()
        } else {
            format!("{region}{}", resource.zone)
        };
        let tags: Vec<(String, String)> = if shared {
            Vec::new()
        } else {
            resource.tags.clone()
        };
        let effective = cost * 9 / 10;
        let list = cost + cost / 5;
        let begin_text = begin
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let end_text = (begin + Duration::hours(1))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let period_text = format!("{}T00:00:00Z", period);
        let quantity_text = decimal(i128::from(quantity), 4);
        match plan.format {
            Format::Focus => {
                let tags_json = serde_json::to_string(
                    &tags
                        .iter()
                        .cloned()
                        .collect::<std::collections::BTreeMap<String, String>>(),
                )
                .unwrap_or_default();
                let next_period = add_months(period, 1);
                csv.write_record([
                    zone.as_str(),
                    &decimal(cost, 10),
                    BILLING_ACCOUNT,
                    "Example Corp",
                    "USD",
                    &format!("{next_period}T00:00:00Z"),
                    &period_text,
                    charge_category,
                    &begin_text,
                    &end_text,
                    &decimal(effective, 10),
                    &decimal(list, 10),
                    &quantity_text,
                    unit,
                    "AWS",
                    region,
                    &resource_id,
                    category,
                    service,
                    sub_id,
                    sub_name,
                    if tags.is_empty() { "NULL" } else { &tags_json },
                ])?;
            }
            Format::Cur | Format::Cur2 => {
                let mut record = vec![
                    BILLING_ACCOUNT.to_string(),
                    period_text.clone(),
                    sub_id.to_string(),
                    match charge_category {
                        "Credit" => "Credit",
                        "Tax" => "Tax",
                        _ => "Usage",
                    }
                    .to_string(),
                    begin_text.clone(),
                    end_text.clone(),
                    service.to_string(),
                    region.to_string(),
                    zone.clone(),
                    resource_id.clone(),
                    decimal(cost, 10),
                    decimal(effective, 10),
                    decimal(list, 10),
                    quantity_text.clone(),
                    unit.to_string(),
                    "USD".to_string(),
                ];
                for key in ["team", "project", "environment"] {
                    record.push(
                        tags.iter()
                            .find(|(k, _)| k.trim() == key)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default(),
                    );
                }
                record.push(
                    tags.iter()
                        .find(|(k, _)| k == "aws:createdBy")
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                );
                csv.write_record(&record)?;
            }
        }
    }
    csv.flush()?;
    Ok(())
}

const FOCUS_HEADER: &[&str] = &[
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "EffectiveCost",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "RegionId",
    "ResourceId",
    "ServiceCategory",
    "ServiceName",
    "SubAccountId",
    "SubAccountName",
    "Tags",
];

const CUR_HEADER: &[&str] = &[
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "lineItem/UsageAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "product/ProductName",
    "product/regionCode",
    "lineItem/AvailabilityZone",
    "lineItem/ResourceId",
    "lineItem/UnblendedCost",
    "lineItem/NetUnblendedCost",
    "pricing/publicOnDemandCost",
    "lineItem/UsageAmount",
    "pricing/unit",
    "lineItem/CurrencyCode",
    "resourceTags/user:team",
    "resourceTags/user:project",
    "resourceTags/user:environment",
    "resourceTags/aws:createdBy",
];

/// `value` × 10^-scale as exact decimal text.
fn decimal(value: i128, scale: u32) -> String {
    let unit = 10_i128.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / unit,
        abs % unit,
        width = scale as usize
    )
}

fn add_months(date: Date, months: u32) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months as i32;
    let month = Month::try_from((index % 12 + 1) as u8).unwrap_or(Month::January);
    Date::from_calendar_date(index / 12, month, 1).unwrap_or(date)
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{FormatChoice, Reader};

    fn generate(format: Format, rows: u64) -> Vec<u8> {
        let plan = Plan {
            rows,
            months: 2,
            start: time::macros::date!(2026 - 10 - 01),
            seed: 7,
            format,
            creators: vec!["alice".into()],
        };
        let mut out = Vec::new();
        write(&plan, &mut out).unwrap();
        out
    }

    #[test]
    fn generated_files_read_back_cleanly_in_both_formats() {
        for format in [Format::Focus, Format::Cur] {
            let bytes = generate(format, 2_000);
            assert_eq!(bytes, generate(format, 2_000), "same seed, same file");
            let mut reader = Reader::open(
                Box::new(std::io::Cursor::new(bytes)),
                "g.csv",
                FormatChoice::Exactly(format),
                10_000,
            )
            .unwrap();
            let mut n = 0;
            let mut created = 0;
            while let Some(item) = reader.next_item().unwrap() {
                let item = item.unwrap();
                created += usize::from(item.created_by().is_some());
                n += 1;
            }
            assert_eq!(n, 2_000);
            assert!(created > 500, "{created}");
        }
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal(-12_345, 4), "-1.2345");
        assert_eq!(decimal(5, 10), "0.0000000005");
        assert_eq!(
            add_months(time::macros::date!(2026 - 11 - 01), 2),
            time::macros::date!(2027 - 01 - 01)
        );
    }
}
