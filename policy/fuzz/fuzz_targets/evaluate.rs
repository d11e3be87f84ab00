//! A policy and a request from the same bytes: evaluation must never panic, and the fast
//! path and the explaining path must agree.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use policy::{
    Context, Evaluator, PolicyDocument, PolicyKind, PolicySet, Principal, PrincipalKind, Request,
    Resource,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Layout: policy \x00 action \x00 resource \x00 key=value lines.
    let mut parts = text.split('\0');
    let policy_text = parts.next().unwrap_or_default();
    let action = parts.next().unwrap_or("s3:GetObject");
    let resource = parts.next().unwrap_or("*");
    let mut context = Context::new();
    for line in parts.next().unwrap_or_default().lines() {
        if let Some((key, value)) = line.split_once('=') {
            if value.contains(',') {
                let values: Vec<&str> = value.split(',').collect();
                context = context.with_list(key, &values);
            } else {
                context = context.with(key, value);
            }
        }
    }
    let Ok(document) = PolicyDocument::parse(policy_text, PolicyKind::Template) else {
        return;
    };
    let set = PolicySet::from_documents([("fuzz", &document)]);
    let principal = Principal {
        kind: PrincipalKind::User,
        arn: "arn:aws:iam::123456789012:user/fuzz".into(),
        account: "123456789012".into(),
        id: Some("AIDAFUZZ".into()),
        tags: BTreeMap::from([("team".to_string(), "x*".to_string())]),
        source_arn: None,
    };
    let resource = Resource {
        arn: resource.to_string(),
        account: None,
        tags: BTreeMap::new(),
    };
    let Ok(request) = Request::new(principal, action, resource, context) else {
        return;
    };
    let evaluator = Evaluator::new(&set).with_boundary(&set);
    assert_eq!(evaluator.decide(&request), evaluator.explain(&request).decision);
});
