//! Decisions per second against Cedar on equivalent policy sets, and compile time.
//!
//! Run: `cargo bench -p policy --bench decisions`. Each set has N statements: statement
//! i allows (every tenth denies) action `svcK:Action{i}` on `arn:aws:s3:::bucket-{i}/*`,
//! and every third also requires the source IP in `10.{i%256}.0.0/16`. Cedar gets the
//! same permits and forbids, with the ARN and IP in the request context. Both answer the
//! same request (an allowed statement in the middle of the set) with Allow; the bench
//! checks that before it measures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::hint::black_box;
use std::str::FromStr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use policy::{
    Context, Decision, Evaluator, PolicyDocument, PolicyKind, PolicySet, Principal, PrincipalKind,
    Request, Resource,
};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
/// Statements per policy document, as an account splits its policies.
const PER_POLICY: usize = 50;

fn service(i: usize) -> String {
    format!("svc{}", i % 20)
}

fn is_deny(i: usize) -> bool {
    i % 10 == 9
}

fn has_ip(i: usize) -> bool {
    i % 3 == 0
}

/// How statements name their action: exactly, or with a trailing wildcard (which the
/// index can only narrow to the service, so a request tests about N/20 statements).
#[derive(Clone, Copy)]
enum Naming {
    Exact,
    Wildcard,
}

fn our_documents(n: usize, naming: Naming) -> Vec<String> {
    let statements: Vec<String> = (0..n)
        .map(|i| {
            let condition = if has_ip(i) {
                format!(
                    r#","Condition":{{"IpAddress":{{"aws:SourceIp":"10.{}.0.0/16"}}}}"#,
                    i % 256
                )
            } else {
                String::new()
            };
            let star = match naming {
                Naming::Exact => "",
                Naming::Wildcard => "*",
            };
            format!(
                r#"{{"Effect":"{}","Action":"{}:Action{i}{star}","Resource":"arn:aws:s3:::bucket-{i}/*"{condition}}}"#,
                if is_deny(i) { "Deny" } else { "Allow" },
                service(i)
            )
        })
        .collect();
    statements
        .chunks(PER_POLICY)
        .map(|chunk| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                chunk.join(",")
            )
        })
        .collect()
}

fn compile_ours(documents: &[String]) -> PolicySet {
    let mut set = PolicySet::new();
    for (i, text) in documents.iter().enumerate() {
        let doc = PolicyDocument::parse(text, PolicyKind::Template).unwrap();
        set.add(&format!("p{i}"), &doc);
    }
    set
}

fn cedar_source(n: usize, naming: Naming) -> String {
    (0..n)
        .map(|i| {
            let ip = if has_ip(i) {
                format!(r#" && context.src_ip.isInRange(ip("10.{}.0.0/16"))"#, i % 256)
            } else {
                String::new()
            };
            let effect = if is_deny(i) { "forbid" } else { "permit" };
            let svc = service(i);
            match naming {
                Naming::Exact => format!(
                    r#"{effect}(principal, action == Action::"{svc}:Action{i}", resource) when {{ context.arn like "arn:aws:s3:::bucket-{i}/*"{ip} }};"#
                ),
                Naming::Wildcard => format!(
                    r#"{effect}(principal, action, resource) when {{ context.action like "{svc}:Action{i}*" && context.arn like "arn:aws:s3:::bucket-{i}/*"{ip} }};"#
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An allowed statement near the middle of the set, with an IP condition.
fn target(n: usize) -> usize {
    let mut i = n / 2;
    while is_deny(i) || !has_ip(i) {
        i += 1;
    }
    i
}

fn our_request(i: usize) -> Request {
    let principal = Principal {
        kind: PrincipalKind::User,
        arn: "arn:aws:iam::123456789012:user/alice".into(),
        account: "123456789012".into(),
        id: None,
        tags: BTreeMap::new(),
        source_arn: None,
    };
    let resource = Resource {
        arn: format!("arn:aws:s3:::bucket-{i}/report.csv"),
        account: None,
        tags: BTreeMap::new(),
    };
    let context = Context::new().with("aws:SourceIp", &format!("10.{}.1.2", i % 256));
    Request::new(
        principal,
        &format!("{}:Action{i}", service(i)),
        resource,
        context,
    )
    .unwrap()
}

fn cedar_request(i: usize) -> cedar_policy::Request {
    use cedar_policy::{
        Context as CedarContext, EntityId, EntityTypeName, EntityUid, RestrictedExpression,
    };
    let uid = |kind: &str, id: &str| {
        EntityUid::from_type_name_and_id(EntityTypeName::from_str(kind).unwrap(), EntityId::new(id))
    };
    let context = CedarContext::from_pairs([
        (
            "arn".to_string(),
            RestrictedExpression::new_string(format!("arn:aws:s3:::bucket-{i}/report.csv")),
        ),
        (
            "action".to_string(),
            RestrictedExpression::new_string(format!("{}:Action{i}", service(i))),
        ),
        (
            "src_ip".to_string(),
            RestrictedExpression::new_ip(format!("10.{}.1.2", i % 256)),
        ),
    ])
    .unwrap();
    cedar_policy::Request::new(
        uid("User", "alice"),
        uid("Action", &format!("{}:Action{i}", service(i))),
        uid("Resource", &format!("arn:aws:s3:::bucket-{i}/report.csv")),
        context,
        None,
    )
    .unwrap()
}

fn decisions(c: &mut Criterion) {
    compare(c, "decide", Naming::Exact);
    compare(c, "decide_wildcard", Naming::Wildcard);
}

fn compare(c: &mut Criterion, name: &str, naming: Naming) {
    let mut group = c.benchmark_group(name);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for n in SIZES {
        let i = target(n);
        let ours = compile_ours(&our_documents(n, naming));
        let request = our_request(i);
        assert_eq!(Evaluator::new(&ours).decide(&request), Decision::Allow);
        group.bench_with_input(BenchmarkId::new("portcullis", n), &n, |b, _| {
            b.iter(|| Evaluator::new(black_box(&ours)).decide(black_box(&request)))
        });

        let cedar = cedar_policy::PolicySet::from_str(&cedar_source(n, naming)).unwrap();
        let cedar_req = cedar_request(i);
        let authorizer = cedar_policy::Authorizer::new();
        let entities = cedar_policy::Entities::empty();
        let answer = authorizer.is_authorized(&cedar_req, &cedar, &entities);
        assert_eq!(answer.decision(), cedar_policy::Decision::Allow);
        assert_eq!(answer.diagnostics().errors().count(), 0);
        group.bench_with_input(BenchmarkId::new("cedar", n), &n, |b, _| {
            b.iter(|| {
                authorizer
                    .is_authorized(black_box(&cedar_req), black_box(&cedar), &entities)
                    .decision()
            })
        });
    }
    group.finish();
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    let documents = our_documents(1_000, Naming::Exact);
    group.bench_function("portcullis/1000", |b| {
        b.iter(|| compile_ours(black_box(&documents)))
    });
    let source = cedar_source(1_000, Naming::Exact);
    group.bench_function("cedar/1000", |b| {
        b.iter(|| cedar_policy::PolicySet::from_str(black_box(&source)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decisions, compile);
criterion_main!(benches);
