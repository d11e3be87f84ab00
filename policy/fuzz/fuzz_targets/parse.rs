//! Any text: parsing, validation and lint must answer without panicking, for every kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy::{PolicyDocument, PolicyKind};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [PolicyKind::Managed, PolicyKind::Resource, PolicyKind::Trust] {
        if let Ok(document) = PolicyDocument::parse(text, kind) {
            // Whatever parses must compile.
            let _ = policy::PolicySet::from_documents([("fuzz", &document)]);
        }
        let _ = policy::lint::lint(text, kind);
    }
});
